"""Excel downloads of the lists pages: one sheet in the style of the list workbooks, headers in the user's language."""

from __future__ import annotations

import io

import xlsxwriter
from starlette.responses import Response

from shoudai.web.i18n import translate
from shoudai.web.templating import SHANGHAI, county_name

# (catalogue key of the header, column width)
ENTRY_COLUMNS = (("lists.col.uscc", 22), ("lists.col.reg_no", 17), ("lists.col.name", 36), ("lists.col.county", 10),
                 ("lists.col.kind", 10), ("lists.col.legal_rep", 12), ("lists.col.industry", 8), ("lists.col.tier", 6),
                 ("lists.col.change", 6), ("lists.col.first_year", 12), ("lists.col.address", 36),
                 ("lists.col.reasons", 50))


def entry_values(e, lab: dict) -> tuple:
    """One list entry as a row; `lab` holds the labels of codes in the user's language."""
    return (e.uscc, e.reg_no, e.name, county_name(e.county_code), lab["kinds"].get(e.list_kind), e.legal_rep_masked,
            e.industry_code, e.tier, lab["changes"].get(e.change), str(e.first_listed_year), e.address, e.reasons)


def sheet(rows, title: str, lang: str, columns=ENTRY_COLUMNS) -> tuple[bytes, int]:
    """Rows of values as one sheet in the style of the list workbooks (title row, header, frozen panes), headers
    in the user's language."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    ws = wb.add_worksheet(translate("lists.xlsx.sheet", lang))
    ws.set_column(0, 0, 8)
    for i, (_, width) in enumerate(columns, start=1):
        ws.set_column(i, i, width)
    ws.write_string(1, 0, translate("lists.col.no", lang), head_fmt)
    for i, (head, _) in enumerate(columns, start=1):
        ws.write_string(1, i, translate(head, lang), head_fmt)
    n = 0
    for n, values in enumerate(rows, start=1):
        ws.write_number(n + 1, 0, n)
        for i, v in enumerate(values, start=1):
            if v not in (None, ""):
                ws.write_string(n + 1, i, str(v))
    ws.merge_range(0, 0, 0, len(columns), title + translate("lists.xlsx.count", lang, n=n), title_fmt)
    ws.freeze_panes(2, 0)
    wb.close()
    return buf.getvalue(), n


def download(data: bytes, stem: str, now) -> Response:
    """The workbook as an attachment named by its stem and the time (Beijing)."""
    name = f"{stem}-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


CLAIM_COLUMNS = (("lists.col.name", 36), ("lists.col.county", 10), ("lists.col.tier", 6),
                 ("lists.col.claimed_by", 14), ("lists.col.expires_on", 12), ("lists.col.officer", 14),
                 ("lists.col.last_outcome", 14), ("lists.col.follow_up", 12), ("lists.col.branch", 12))
BRANCH_POOL_COLUMNS = (("lists.col.name", 36), ("lists.col.county", 10), ("lists.col.kind", 10),
                       ("lists.col.tier", 6), ("lists.col.claim_expires", 12))
