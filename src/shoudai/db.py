"""Engine, declarative base and the unit of work used at the edges (CLI, requests, workers)."""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from shoudai.config import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and foreign keys so it behaves like a server database."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "checkin")
        def _detach(dbapi_conn, record):  # after the pool's rollback, so no transaction holds them any more
            for alias in record.info.pop(_ATTACHED, ()):
                if dbapi_conn is not None:
                    dbapi_conn.execute(f"DETACH DATABASE {alias}")

        return engine
    engine = create_engine(url)
    _ping_idle_connections(engine)
    return engine


_ATTACHED = "shoudai.attached"  # a pooled SQLite connection's info: the databases attach_until_checkin attached


def attach_until_checkin(connection: Connection, path: str | Path) -> str:
    """ATTACH the SQLite file `path` to `connection` under a new alias (returned), inside its transaction.

    SQLite refuses to DETACH a database while a transaction has it open, so it stays attached until the connection
    goes back to the pool (after the caller's commit or rollback), and is detached there.
    """
    alias = f"side_{uuid.uuid4().hex[:12]}"
    connection.exec_driver_sql(f"ATTACH DATABASE ? AS {alias}", (str(path),))
    connection.connection.info.setdefault(_ATTACHED, []).append(alias)
    return alias


# A pooled connection idle longer than this is pinged before use (a restart or a dropped link while it sat idle).
IDLE_PING_AFTER = 5.0
_IDLE_SINCE = "shoudai.idle_since"  # a pooled connection's info: when it was last checked in


def _ping_idle_connections(engine: Engine) -> None:
    """pool_pre_ping, but only for connections that sat idle: pinging every checkout cost a busy request a round
    trip (a twentieth of a need submission's CPU). A connection used moments ago that turns out dead (the server
    restarted under load) fails its request once and is invalidated; the client's retry gets a fresh one."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < IDLE_PING_AFTER:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(str(exc)) from exc  # the pool discards it and connects afresh


def open_connections(engine: Engine, n: int) -> None:
    """Connect n of the pool's connections now (a server start), so the first requests do not each wait for one."""
    held = []
    try:
        for _ in range(min(n, engine.pool.size())):
            held.append(engine.connect())
    finally:
        for conn in held:
            conn.close()


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().resolved_database_url())


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    engine = engine or get_engine()
    factory = _FACTORIES.get(engine)
    if factory is None:  # one per engine: making a sessionmaker (a new Session class) cost more than the session
        factory = _FACTORIES[engine] = sessionmaker(bind=engine, expire_on_commit=False)
    return factory


_FACTORIES: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = weakref.WeakKeyDictionary()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One business action = one transaction: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
