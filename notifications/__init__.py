"""Transactional outbox, and (with its issue) the channels that deliver it: email, webhooks,
push."""
