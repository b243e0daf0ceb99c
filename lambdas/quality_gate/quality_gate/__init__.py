"""Data-quality gate run by the state machine between curation and the view refresh."""
