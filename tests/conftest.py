"""Shared fixtures: a real database per backend (SQLite always, PostgreSQL when the test script started one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shoudai import migrate
from shoudai.config import get_settings
from shoudai.db import get_engine, make_engine

PG_URL = os.environ.get("SHOUDAI_TEST_PG_URL", "")
BACKENDS = ["sqlite", "postgres"]


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        return
    if os.environ.get("SHOUDAI_REQUIRE_PG"):
        raise pytest.UsageError("SHOUDAI_REQUIRE_PG is set but SHOUDAI_TEST_PG_URL is empty")
    skip = pytest.mark.skip(reason="no PostgreSQL: run the tests through `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _new_database(backend: str, tmp_path: Path) -> tuple[str, callable]:
    """A new, empty, migrated database; returns its URL and a function that drops it."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        migrate.upgrade(url)
        return url, lambda: None
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    migrate.upgrade(url)
    return url, drop


@pytest.fixture(params=[pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else []) for b in BACKENDS])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, tmp_path, monkeypatch) -> Iterator[str]:
    """A fresh migrated database for this test, set as SHOUDAI_DATABASE_URL (for CLI and services alike)."""
    url, drop = _new_database(backend, tmp_path)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SHOUDAI_DATABASE_URL", url)
    monkeypatch.setenv("SHOUDAI_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    drop()


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end of the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
            yield s
        trans.rollback()
