"""Channels, their QR codes and the printable poster."""

import re
import shutil
import subprocess

import pytest

from shoudai.config import get_settings
from shoudai.lending import channels
from shoudai.lending.common import LendingError


def test_channel_rules(session):
    ch = channels.create_channel(session, code="XX-Centre", name="新乡市首贷续贷服务中心", kind="first_loan_centre",
                                 actor="admin")
    assert ch.code == "xx-centre" and channels.get_channel(session, "XX-CENTRE").id == ch.id
    with pytest.raises(LendingError, match="已存在"):
        channels.create_channel(session, code="xx-centre", name="x", kind="tax_hall", actor="admin")
    with pytest.raises(LendingError, match="须指定银行"):
        channels.create_channel(session, code="branch-1", name="网点", kind="bank_branch", actor="admin")
    with pytest.raises(LendingError, match="区县"):
        channels.create_channel(session, code="c-1", name="x", kind="tax_hall", county_code="110101", actor="admin")
    with pytest.raises(LendingError):
        channels.create_channel(session, code="a b", name="x", kind="tax_hall", actor="admin")
    b = channels.create_channel(session, code="icbc-hq", name="工行营业部", kind="bank_branch", bank_code="ICBC",
                                county_code="410702", actor="admin")
    assert [c.code for c in channels.list_channels(session, county_code="410702")] == [b.code]


def test_qr_points_at_the_public_base_url(monkeypatch):
    monkeypatch.setenv("SHOUDAI_PUBLIC_BASE_URL", "https://shoudai.example.cn/")
    get_settings.cache_clear()
    assert channels.channel_url("hx-tax") == "https://shoudai.example.cn/q/hx-tax"
    png = channels.qr_png("hx-tax")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = channels.qr_svg("hx-tax").decode()
    assert svg.startswith("<svg") and "新享贷款码" in svg
    monkeypatch.delenv("SHOUDAI_PUBLIC_BASE_URL")
    get_settings.cache_clear()
    assert channels.channel_url("x") == "http://127.0.0.1:8000/q/x"
    assert channels.qr("x").error == "M"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_poster_is_an_a4_pdf_with_a_chinese_title(session, tmp_path):
    ch = channels.create_channel(session, code="hx-mr", name="辉县市市场监管局登记窗口",
                                 kind="market_regulation_window", county_code="410782", actor="admin")
    pdf = channels.poster_pdf(ch)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "新享贷款码" in out and "辉县市市场监管局登记窗口" in out and "2 个工作日" in out
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout.decode()
    assert "595.276 x 841.89" in info or "A4" in info
    assert re.search(r"Pages:\s+1\n", info)
