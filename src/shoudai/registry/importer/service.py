"""import_file: one agency file applied whole or not at all, and only once (L1)."""

from __future__ import annotations

import csv
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.config import get_settings
from shoudai.registry.importer import pipeline
from shoudai.registry.importer.errors import ImportFileError
from shoudai.registry.importer.readers import file_sha256
from shoudai.registry.importer.sources import SOURCES
from shoudai.registry.models import ImportBatch


@dataclass(frozen=True)
class ImportOutcome:
    batch: ImportBatch
    created: bool  # False: this file (same kind and content) was imported before and nothing changed
    problems_count: int  # lines in the rejects report


def import_file(
    session: Session,
    path: str | os.PathLike[str],
    kind: str,
    *,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ImportOutcome:
    """Validate, normalise and stage one agency file; flush (never commit) its import_batch row.

    Raises ImportFileError (Chinese message) when the file cannot be used at all; then nothing is written.
    """
    if kind not in SOURCES:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {sorted(SOURCES)}")
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path}")
    if path.stat().st_size == 0:
        raise ImportFileError("文件为空")
    # The file is hashed in a thread while DuckDB works on it (hashlib lets go of the GIL): measured ~0.2 s wall per
    # 1M registry rows saved. A file imported before is then found after the work rather than before it.
    hashing = _Hashing(path)
    target = (get_settings().data_dir / "imports" / kind).resolve()
    target.mkdir(parents=True, exist_ok=True)
    # The work directory sits next to the targets, so the final renames are atomic on one file system.
    with tempfile.TemporaryDirectory(prefix=".import-", dir=target) as tmp:
        try:
            staged = pipeline.run(path, kind, Path(tmp), progress)
        except Exception:
            existing = _imported_before(session, kind, hashing.digest())
            if existing is not None:
                return ImportOutcome(existing, False, _problems_in(existing))
            raise
        digest = hashing.digest()
        existing = _imported_before(session, kind, digest)
        if existing is not None:
            return ImportOutcome(existing, False, _problems_in(existing))
        final = {
            "parquet": target / f"{digest}.parquet",
            "csv": target / f"{digest}.rejects.csv",
            "xlsx": target / f"{digest}.rejects.xlsx",
        }
        placed = []  # files this import created (a concurrent import of the same file may have made them first)
        for name, src in (("xlsx", staged.rejects_xlsx), ("csv", staged.rejects_csv), ("parquet", staged.parquet)):
            if src is not None:
                if not final[name].exists():
                    placed.append(final[name])
                os.replace(src, final[name])
    if progress is not None:
        progress(staged.total_rows, staged.total_rows)

    batch = ImportBatch(
        kind=kind,
        file_name=path.name[:255],
        sha256=digest,
        file_format=staged.file_format,
        encoding=staged.encoding,
        total_rows=staged.total_rows,
        accepted_rows=staged.accepted_rows,
        rejected_rows=staged.rejected_rows,
        duplicate_rows=staged.duplicate_rows,
        staged_path=str(final["parquet"]),
        rejects_path=str(final["csv"]) if staged.rejects_csv else None,
        actor=actor,
        created_at=clock(),
    )
    session.add(batch)
    try:
        session.flush()
    except Exception:
        _remove(placed)
        raise
    return ImportOutcome(batch, True, staged.problems)


class _Hashing:
    """file_sha256 of `path` in a background thread; digest() waits for it (and re-raises its error)."""

    def __init__(self, path: Path) -> None:
        self._result: list[str] = []
        self._error: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._result.append(file_sha256(path))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._error.append(exc)

    def digest(self) -> str:
        self._thread.join()
        if self._error:
            raise self._error[0]
        return self._result[0]


def _imported_before(session: Session, kind: str, digest: str) -> ImportBatch | None:
    return session.scalar(select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.sha256 == digest))


def _remove(paths) -> None:
    for p in paths:
        Path(p).unlink(missing_ok=True)


def _problems_in(batch: ImportBatch) -> int:
    """Lines of an earlier import's rejects report (0 when it had none)."""
    if not batch.rejects_path or not Path(batch.rejects_path).is_file():
        return 0
    with open(batch.rejects_path, encoding="utf-8-sig", newline="") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)  # records, not lines: a value may hold a line break
