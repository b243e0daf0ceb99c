"""Stable pseudonymous listener ids, shared by API extraction and privacy-export imports.

The rule is the lake contract's (``lake_contract.identity.listener_id``), which curation's Spark form is
built from too; this name stays for the extractor's and the toolkit's importers.
"""

from __future__ import annotations

from lake_contract.identity import listener_id

__all__ = ["listener_id"]
