import json

import typer
from typer.testing import CliRunner

from shoudai.cli import synth

# The command exactly as the root CLI registers it, without importing every other command group.
app = typer.Typer()
app.command(name="synth")(synth.synth)
app.command(name="other")(lambda: None)  # with two commands Typer keeps the `synth` sub-command name


def test_shoudai_synth_writes_the_files_and_the_manifest(tmp_path):
    out = tmp_path / "city"
    result = CliRunner().invoke(app, ["synth", "--entities", "400", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "registry.csv",
        "tax.csv",
        "credit.csv",
        "registry.xlsx",
        "manifest.json",
    }
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["entities"], manifest["year"]) == (3, 400, 2025)


def test_a_later_year_and_a_bad_year(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(
        app, ["synth", "-n", "300", "-s", "3", "-o", str(tmp_path / "y2"), "--year", "2026", "--no-xlsx"]
    )
    assert ok.exit_code == 0, ok.output
    manifest = json.loads((tmp_path / "y2" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generation"] == 2 and "changes" in manifest["expected"]
    assert not (tmp_path / "y2" / "registry.xlsx").exists()
    bad = runner.invoke(app, ["synth", "-n", "300", "-o", str(tmp_path / "y0"), "--year", "2020"])
    assert bad.exit_code != 0
