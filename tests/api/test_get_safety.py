"""No GET changes state: every GET route, called as the city admin, leaves the business tables untouched."""

from sqlalchemy import text

from shoudai.db import session_scope

from .conftest import login

TABLES = {
    "app_user": "SELECT * FROM app_user ORDER BY id",
    "audit_event": "SELECT id, row_hash FROM audit_event ORDER BY id",
    "login_throttle": "SELECT * FROM login_throttle ORDER BY username, source",
    # Sessions: the sliding last_seen_at is bookkeeping, not state a user changes; everything else must hold.
    "user_session": "SELECT id, user_id, stage, ended_at, end_reason FROM user_session ORDER BY id",
}


def snapshot(engine):
    with session_scope(engine) as s:
        return {name: [tuple(r) for r in s.execute(text(sql))] for name, sql in TABLES.items()}


def get_paths(app):
    """Every GET path the app declares (from its OpenAPI schema), path parameters filled in."""
    for path, ops in app.openapi()["paths"].items():
        if "get" in ops:
            yield path.replace("{user_id}", "2")


def test_every_get_route_is_side_effect_free(app, client, clock):
    login(client, "admin", clock)
    paths = sorted(set(get_paths(app)))
    assert {"/", "/admin/users", "/admin/audit", "/admin/audit/verify", "/login", "/login/totp"} <= set(paths)
    before = snapshot(app.state.engine)
    for path in paths:
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (200, 303), path
        r = client.get(path + "?page=2&q=x&actor=admin&msg=saved", follow_redirects=False)
        assert r.status_code in (200, 303, 422), path
    assert snapshot(app.state.engine) == before
