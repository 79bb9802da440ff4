"""Import of the three agency files (L1): validate, normalise, stage as Parquet, report rejects."""

from shoudai.registry.importer.errors import ImportFileError
from shoudai.registry.importer.progress import progress_bar
from shoudai.registry.importer.service import ImportOutcome, import_file

__all__ = ["ImportFileError", "ImportOutcome", "import_file", "progress_bar"]
