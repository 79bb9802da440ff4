"""Errors the oversight services raise; messages are Chinese, for the screen."""

from __future__ import annotations


class OversightError(ValueError):
    """A request the domain refuses, with a message for the user."""


class PermissionDenied(OversightError):
    """The actor's role may not do this (e.g. only the city admin closes a month)."""


class MonthClosed(OversightError):
    """The month is closed: change it through a recorded correction."""


class IdempotencyConflict(OversightError):
    """The idempotency key was used before with a different request body."""
