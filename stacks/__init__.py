"""CDK constructs and stacks (infrastructure only; runtime code never imports this)."""
