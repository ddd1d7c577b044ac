"""Read-only insights API under /api/v1/insights/."""
