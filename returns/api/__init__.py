"""The returns REST API under /api/v1/returns/."""
