"""The import's error for a file that cannot be used at all."""

from __future__ import annotations


class ImportFileError(ValueError):
    """The whole file is unusable (missing required column, unreadable encoding, empty, wrong sheet); nothing was written."""
