"""In chromium: the city admin opens the first-loan dashboard, the ECharts canvases render under the strict CSP,
and the month's bulletin downloads as an Excel workbook that openpyxl reopens."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_admin_dashboard_renders_charts_and_downloads_excel(page, tmp_path):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    sign_in(page, "admin")
    page.get_by_test_id("nav-oversight").click()
    expect(page.locator("h1")).to_contain_text("首贷监测")
    page.fill("input[name=month]", "2025-06")
    page.click("[data-testid=month-picker] button")
    expect(page.locator("h1")).to_contain_text("2025年6月")
    trend = page.get_by_test_id("chart-trend")
    expect(trend).to_have_attribute("data-ov-ready", "1")
    canvas = trend.locator("canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    expect(page.get_by_test_id("chart-unit").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("bulletin-units")).to_contain_text("红旗区")
    with page.expect_download() as info:
        page.get_by_test_id("download-xlsx").click()
    download = info.value
    assert download.suggested_filename == "bulletin-2025-06.xlsx"
    path = tmp_path / "b.xlsx"
    download.save_as(path)
    wb = load_workbook(path)
    assert any("首贷拓展工作通报（2025年6月）" in str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
               for c in row if c)
    assert not errors, errors
