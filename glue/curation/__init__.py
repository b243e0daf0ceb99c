"""Curation library shipped to Glue as extra Python files: schema, transforms and job logic."""
