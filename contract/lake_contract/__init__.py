"""The lake contract: every fact that crosses a component boundary, written once.

Plain Python (standard library only), imported by the extractor Lambda, the quality-gate Lambda, the Glue job's
extra files, the stacks and the local toolkit alike, so a renamed key or field fails a test or mypy instead of
showing a user zeros. Modules:

- ``keys``: the raw zone's and the run summaries' key layout (format and parse, and the patterns Spark uses);
- ``endpoints``: the endpoint registry (source, endpoint, scope, item schema, curated table);
- ``summaries``: the extraction and curation run summaries, with the accounting identity;
- ``settings``: the extractor's environment, the extraction event and the Glue job's arguments;
- ``identity``: the play identity and merge rules.
"""
