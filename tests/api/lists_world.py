"""The lists pages' test world (the sample version and test_lists_pages' extra users), for other lists page tests."""

from __future__ import annotations

from shoudai.accounts.demo import DEMO_PASSWORD, _demo_hash, demo_totp_secret
from shoudai.accounts.service import create_user
from shoudai.audit.actor import Actor
from shoudai.db import session_scope
from shoudai.outreach import sample

from .test_lists_pages import EXTRA


def add_world(app, clock):
    """60 sample entries per county in 2026 and the extra users of test_lists_pages; returns the app."""
    with session_scope(app.state.engine) as s:
        sample.add_version(s, 2026, 60)
        for name, role, spec in EXTRA:
            create_user(s, actor=Actor.system("test"), username=name, display_name=name, role=role, scope=spec,
                        password=DEMO_PASSWORD, now=clock(), totp_secret=demo_totp_secret(name),
                        prehashed=_demo_hash())
    return app
