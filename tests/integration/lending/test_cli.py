"""`shoudai lending …` end to end on a fresh database."""


from typer.testing import CliRunner

from shoudai.cli import app


def test_channels_qr_poster_sweep_and_worker(db_url, tmp_path):
    run = CliRunner().invoke
    r = run(app, ["lending", "channels", "create", "xx-centre", "--name", "新乡市首贷续贷服务中心",
                  "--kind", "first_loan_centre", "--county", "410702"])
    assert r.exit_code == 0, r.output
    r = run(app, ["lending", "channels", "create", "xx-centre", "--name", "重复", "--kind", "tax_hall"])
    assert r.exit_code == 2 and "已存在" in r.output
    r = run(app, ["lending", "channels", "list"])
    assert "xx-centre" in r.output and "/q/xx-centre" in r.output
    assert run(app, ["lending", "qr", "xx-centre", "--out", str(tmp_path / "q.png")]).exit_code == 0
    assert (tmp_path / "q.png").read_bytes().startswith(b"\x89PNG")
    assert run(app, ["lending", "qr", "nope", "--out", str(tmp_path / "x.png")]).exit_code == 2
    assert run(app, ["lending", "poster", "xx-centre", "--out", str(tmp_path / "p.pdf")]).exit_code == 0
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    r = run(app, ["lending", "endpoint", "ICBC", "http://127.0.0.1:9/hook", "--secret", "0123456789abcdef"])
    assert r.exit_code == 0, r.output
    r = run(app, ["lending", "sweep"])
    assert r.exit_code == 0 and "answer 0" in r.output
    r = run(app, ["lending", "worker", "--once", "--sweep-every", "0"])
    assert r.exit_code == 0 and "claimed 0" in r.output
    assert "pending 0" in run(app, ["lending", "outbox"]).output
