"""`shoudai calendar …` against a fresh database: exit codes 0 / 2 / 3 and what a user reads."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from shoudai.cli.calendar import app
from shoudai.config import get_settings
from shoudai.db import get_engine
from shoudai.reference.models import CalendarDay

DATA = Path(__file__).parents[2] / "data" / "calendar"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def row_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(CalendarDay))
    finally:
        engine.dispose()


def test_deadline_known_year_exits_0(db_url):
    result = run("deadline", "--from", "2026-09-30T10:00:00+08:00", "--days", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-10-09T23:59:59+08:00\n"


def test_deadline_in_unknown_year_is_provisional_and_exits_3(db_url):
    result = run("deadline", "--from", "2026-12-30T10:00:00+08:00", "--days", "2")
    assert result.exit_code == 3
    assert result.stdout == "2027-01-01T23:59:59+08:00 provisional\n"
    assert "2027" in result.stderr and "未知" in result.stderr


def test_import_then_the_same_deadline_is_final(db_url):
    result = run("import", str(DATA / "2027-test-arrangement.csv"), "--actor", "admin:li")
    assert result.exit_code == 0, result.output
    assert "已导入 2027 年" in result.stdout and "Imported the 2027 arrangement" in result.stdout
    assert "新增 22" in result.stdout
    result = run("deadline", "--from", "2026-12-30T10:00:00+08:00", "--days", "2")
    assert (result.exit_code, result.stdout) == (0, "2027-01-04T23:59:59+08:00\n")
    again = run("import", str(DATA / "2027-test-arrangement.csv"))
    assert again.exit_code == 0 and "新增 0，修改 0，删除 0，未变 22" in again.stdout
    assert row_count(db_url) == 22


def test_bad_file_exits_2_lists_errors_and_writes_nothing(db_url):
    result = run("import", str(DATA / "2027-test-bad.csv"))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("第3行 列date: ")
    assert any(line.startswith("第6行 列kind: ") and "周六或周日" in line for line in lines)
    assert [line.split(":")[0] for line in lines[:6]] == [
        "第3行 列date", "第4行 列kind", "第5行 列date", "第6行 列kind", "第7行 列name", "第8行 列date"]
    assert "nothing written" in lines[-1]
    assert row_count(db_url) == 0
    still = run("deadline", "--from", "2026-12-30T10:00:00+08:00", "--days", "2")
    assert still.exit_code == 3


def test_missing_file_is_a_usage_error(db_url, tmp_path):
    assert run("import", str(tmp_path / "nope.csv")).exit_code == 2


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2025-10-09T23:30", "2025-10-10T23:59:59+08:00"),  # no offset: Shanghai local time
        ("2025-10-09T15:30:00Z", "2025-10-10T23:59:59+08:00"),  # the same instant in UTC
        ("2025-10-09T16:30:00+00:00", "2025-10-11T23:59:59+08:00"),  # already the 10th in Shanghai
        ("2025-10-03", "2025-10-09T23:59:59+08:00"),  # a holiday; a bare date is a Shanghai date
    ],
)
def test_from_is_read_as_shanghai_time_unless_it_has_an_offset(db_url, given, expected):
    result = run("deadline", "--from", given, "--days", "1")
    assert (result.exit_code, result.stdout) == (0, expected + "\n")


@pytest.mark.parametrize("args", [["--from", "yesterday", "--days", "1"], ["--from", "2025-10-09", "--days", "-1"]])
def test_bad_deadline_arguments_exit_2(db_url, args):
    assert run("deadline", *args).exit_code == 2


def test_show_year(db_url):
    known = run("show", "--year", "2025")
    assert known.exit_code == 0
    assert "已知" in known.stdout.splitlines()[0]
    assert "2025-09-28 周日 上班 workday" in known.stdout and "2025-10-06 周一 放假 holiday" in known.stdout
    unknown = run("show", "--year", "2027")
    assert "未知 unknown" in unknown.stdout and len(unknown.stdout.splitlines()) == 1
    run("import", str(DATA / "2027-test-arrangement.csv"))
    imported = run("show", "--year", "2027")
    assert "已导入" in imported.stdout.splitlines()[0]
    assert "2027-02-20 周六 上班 workday" in imported.stdout and "[表 table]" in imported.stdout


def test_a_new_database_needs_no_upgrade_first(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("SHOUDAI_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = run("deadline", "--from", "2026-09-30T10:00:00+08:00", "--days", "2")
        assert (result.exit_code, result.stdout) == (0, "2026-10-09T23:59:59+08:00\n")
        assert row_count(url) == 0  # the table exists now
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_the_installed_command_exits_3_when_provisional(db_url):
    shoudai = Path(sys.executable).with_name("shoudai")
    done = subprocess.run(
        [str(shoudai), "calendar", "deadline", "--from", "2026-12-30T10:00", "--days", "2"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120, check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "2027-01-01T23:59:59+08:00 provisional\n"
