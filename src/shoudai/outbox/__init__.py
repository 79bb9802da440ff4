"""Transactional outbox: side effects leave only after the transaction that caused them committed (X6)."""
