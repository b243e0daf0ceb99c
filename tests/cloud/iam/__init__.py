"""The IAM conformance test's machinery: template model, recorders, platform requests, the evaluator wrapper."""
