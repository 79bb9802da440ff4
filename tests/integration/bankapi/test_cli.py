"""`shoudai bankapi …`: issue shows the secret once, list never shows it, revoke takes effect; bad bank exits 2."""

import re

from sqlalchemy import select
from typer.testing import CliRunner

from shoudai.audit.models import AuditEvent
from shoudai.bankapi.models import BankApiKey
from shoudai.cli.bankapi import app
from shoudai.db import get_engine, session_scope

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_issue_list_revoke(db_url):
    issued = run("issue", "icbc", "--label", "核心系统对接", "--actor", "cli:tester")
    assert issued.exit_code == 0, issued.output
    key_id = re.search(r"key id:\s+(bk_[0-9a-f]{16})", issued.output).group(1)
    secret = re.search(r"secret:\s+(\S+)", issued.output).group(1)
    assert "ICBC" in issued.output and len(secret) >= 40

    listed = run("list", "--bank", "ICBC")
    assert key_id in listed.output and "有效 active" in listed.output and "核心系统对接" in listed.output
    assert secret not in listed.output

    assert run("revoke", key_id).exit_code == 0
    assert "已吊销 revoked" in run("list").output
    with session_scope(get_engine()) as s:
        row = s.scalar(select(BankApiKey).where(BankApiKey.key_id == key_id))
        assert row.revoked_at is not None and secret not in row.secret_enc
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == key_id)).all()
        assert sorted(actions) == ["bankapi.key_issued", "bankapi.key_revoked"]


def test_unknown_bank_or_key_exits_2(db_url):
    bad = run("issue", "NOPE")
    assert bad.exit_code == 2 and "未知的银行代码" in bad.output
    assert run("revoke", "bk_0000000000000000").exit_code == 2
    assert run("issue", "ICBC", "--counties", "41070").exit_code == 2
