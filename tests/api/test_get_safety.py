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
    "need": "SELECT * FROM need ORDER BY id",
    "need_bank": "SELECT * FROM need_bank ORDER BY id",
    "outreach_claim": "SELECT * FROM outreach_claim ORDER BY id",
    "outreach_contact": "SELECT * FROM outreach_contact ORDER BY id",
    "bank_api_key": "SELECT * FROM bank_api_key ORDER BY 1",
}
# The admin's own pages must answer; other roles' pages refuse the admin (403), signed bank-API routes refuse a
# cookie (401), and placeholders that name nothing are not found (404/422). None of them may change anything.
ADMIN_PAGES = {"/", "/admin/users", "/admin/audit", "/admin/audit/verify", "/lists", "/oversight",
               "/lending/compliance", "/admin/bank-api-keys"}


def snapshot(engine):
    with session_scope(engine) as s:
        return {name: [tuple(r) for r in s.execute(text(sql))] for name, sql in TABLES.items()}


# GET pages kept out of the API schema (admin screens): listed here so they are walked too.
UNLISTED_PAGES = {"/admin/bank-api-keys"}


def get_paths(app):
    """Every GET path (the schema's, and the unlisted pages), parameters filled in, and whether it is key-signed."""
    for path, ops in app.openapi()["paths"].items():
        if "get" in ops:
            yield path.replace("{user_id}", "2"), bool(ops["get"].get("security"))
    for path in UNLISTED_PAGES:
        yield path, False


def test_every_get_route_is_side_effect_free(app, client, clock):
    login(client, "admin", clock)
    paths = dict(get_paths(app))
    assert ADMIN_PAGES | {"/login", "/login/totp"} <= set(paths)
    before = snapshot(app.state.engine)
    for path, signed in sorted(paths.items()):
        r = client.get(path, follow_redirects=False)
        if path in ADMIN_PAGES:
            assert r.status_code == 200, path
        elif signed:
            assert r.status_code == 401, path
        else:
            assert r.status_code in (200, 303, 403, 404, 422), path
        r = client.get(path + "?page=2&q=x&actor=admin&msg=saved", follow_redirects=False)
        assert r.status_code in (200, 303, 401, 403, 404, 422), path
    assert snapshot(app.state.engine) == before
