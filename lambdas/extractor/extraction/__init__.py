"""Extractor runtime shipped as the Lambda asset: handler, sources, storage adapters."""
