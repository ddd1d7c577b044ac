"""The returns app: filled in by its own issue."""
