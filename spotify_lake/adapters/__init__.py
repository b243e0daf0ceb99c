"""Adapters: how the local toolkit reaches the production code and the lake files on one machine.

The local Glue runner (the job script on local Spark), the local Lambda runner (the extractor handler
in-process), the DuckDB forms of the curated tables and the published Parquet files of a local lake.
They sit below the pipeline, the report and the tasks, and import none of them.
"""
