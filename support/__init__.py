"""The support app: filled in by its own issue."""
