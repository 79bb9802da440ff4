"""One table description, three renderings: an Excel workbook an official would send, a Chinese PDF, and CSV."""

from __future__ import annotations

import csv
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from shoudai.oversight.money import fen_to_wan, fen_to_yuan, round_half_up

FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC", sans-serif'


@dataclass(frozen=True)
class Col:
    """A column: its group header (merged above, may be ''), header, kind, and how to read it from a row object.

    kind: text | int | wan (fen in, 万元 out) | yuan (fen in, yuan out) | pct (percent Decimal) | dec1 (one decimal) | score (two decimals)
    """

    group: str
    header: str
    kind: str
    get: Callable[[object], object]
    missing: str = "—"
    width: float = 10
    flat: str | None = None  # the CSV header, where group + header would read badly

    @property
    def flat_header(self) -> str:
        unit = {"wan": "(万元)", "yuan": "(元)", "pct": "(%)"}.get(self.kind, "")
        if self.flat:
            return f"{self.flat}{unit}"
        return f"{self.group}{self.header}{unit}" if self.group != self.header else f"{self.header}{unit}"


@dataclass(frozen=True)
class Table:
    sheet: str  # Excel sheet name (≤ 31 chars)
    heading: str  # e.g. 一、各县（市、区）首贷拓展情况
    columns: Sequence[Col]
    rows: Sequence[object]
    total: object | None = None


def value(col: Col, row: object) -> object:
    """The exact value of a cell: int, Decimal (万元 / percent), str, or None."""
    v = col.get(row)
    if v is None:
        return None
    if col.kind == "wan":
        return fen_to_wan(int(v))
    if col.kind == "yuan":
        return fen_to_yuan(int(v))
    return v


def text(col: Col, row: object) -> str:
    """The cell as printed (PDF, CSV): 万元 and percentages with two decimals, half-up."""
    v = value(col, row)
    if v is None:
        return col.missing
    if col.kind in ("wan", "yuan"):
        return f"{round_half_up(Decimal(v), 2):,.2f}"
    if col.kind in ("pct", "score"):
        return f"{round_half_up(Decimal(v), 2)}"
    if col.kind == "dec1":
        return f"{round_half_up(Decimal(v), 1)}"
    if col.kind == "int":
        return f"{int(v):,}"
    return str(v)


def write_csv(path: Path, table: Table) -> None:
    """Flat headers, UTF-8 with BOM (Excel opens it as Chinese); numbers without thousands separators."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([c.flat_header for c in table.columns])
        for row in [*table.rows, *([table.total] if table.total is not None else [])]:
            w.writerow([text(c, row).replace(",", "") for c in table.columns])


def _groups(columns: Sequence[Col]) -> list[tuple[str, int, int]]:
    """(group, first index, last index) runs of equal group headers."""
    runs: list[tuple[str, int, int]] = []
    for i, c in enumerate(columns):
        if runs and runs[-1][0] == c.group and c.group:
            runs[-1] = (c.group, runs[-1][1], i)
        else:
            runs.append((c.group, i, i))
    return runs


def write_xlsx(path: Path, title: str, subtitle: str, tables: Sequence[Table], notes: Sequence[str],
               lead: str | None = None) -> None:
    """A workbook with a sheet per table: merged title, units row, two-row header, borders, number formats,
    frozen panes, print set-up; and a notes sheet (说明)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
    f_title = wb.add_format({**base, "font_name": "方正小标宋简体", "font_size": 16, "bold": True, "align": "center"})
    f_sub = wb.add_format({**base, "align": "right"})
    f_head = wb.add_format({**base, "bold": True, "align": "center", "border": 1, "text_wrap": True, "bg_color": "#DDEBF7"})
    fmt = {
        "text": {"align": "left"}, "int": {"num_format": "#,##0", "align": "right"},
        "wan": {"num_format": "#,##0.00", "align": "right"},
        "yuan": {"num_format": "#,##0.00", "align": "right"}, "pct": {"num_format": "0.00%", "align": "right"},
        "dec1": {"num_format": "0.0", "align": "right"}, "score": {"num_format": "0.00", "align": "right"},
    }
    f_cell = {k: wb.add_format({**base, "border": 1, **v}) for k, v in fmt.items()}
    f_total = {k: wb.add_format({**base, "border": 1, "bold": True, **v}) for k, v in fmt.items()}
    f_missing = wb.add_format({**base, "border": 1, "align": "center", "font_color": "#7F7F7F"})
    for table in tables:
        ws = wb.add_worksheet(table.sheet[:31])
        last = len(table.columns) - 1
        ws.set_row(0, 30)
        ws.merge_range(0, 0, 0, last, title, f_title)
        ws.merge_range(1, 0, 1, last, f"{table.heading}    {subtitle}", f_sub)
        for group, a, b in _groups(table.columns):
            if group and a != b:
                ws.merge_range(2, a, 2, b, group, f_head)
                for i in range(a, b + 1):
                    ws.write(3, i, table.columns[i].header, f_head)
            else:
                ws.merge_range(2, a, 3, a, table.columns[a].header, f_head)
        for i, c in enumerate(table.columns):
            ws.set_column(i, i, c.width)
        r = 4
        for row, fmts in [(x, f_cell) for x in table.rows] + ([(table.total, f_total)] if table.total else []):
            for i, c in enumerate(table.columns):
                v = value(c, row)
                if v is None:
                    ws.write_string(r, i, c.missing, f_missing)
                elif c.kind == "pct":
                    ws.write_number(r, i, float(Decimal(v) / 100), fmts["pct"])
                elif c.kind in ("int", "wan", "yuan", "dec1", "score"):
                    ws.write_number(r, i, float(v), fmts[c.kind])
                else:
                    ws.write_string(r, i, str(v), fmts["text"])
            r += 1
        ws.freeze_panes(4, 2)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2, 3)
        ws.set_footer("&C第 &P 页，共 &N 页")
    ws = wb.add_worksheet("说明")
    ws.set_column(0, 0, 110)
    ws.write(0, 0, title, f_title)
    f_note = wb.add_format({**base, "text_wrap": True})
    for i, note in enumerate(notes, start=1):
        ws.write(i + 1, 0, f"{i}. {note}", f_note)
    if lead:
        ws.write(len(notes) + 3, 0, lead, wb.add_format({**base, "text_wrap": True, "bold": True}))
    wb.close()


def render_html(title: str, subtitle: str, tables: Sequence[Table], notes: Sequence[str],
                lead: str | None = None) -> str:
    """The PDF's HTML: A4 landscape, CJK font, the same headings and figures as the workbook."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><style>",
        (f"@page {{ size: A4 landscape; margin: 14mm 10mm; @bottom-center {{ content: '第 ' counter(page) ' 页'; "
         f"font-family: {FONT_STACK}; font-size: 8pt; }} }}"),
        f"body {{ font-family: {FONT_STACK}; font-size: 8.5pt; }}",
        "h1 { font-size: 15pt; text-align: center; margin: 0 0 4pt; }",
        ".sub { text-align: right; margin-bottom: 6pt; } h2 { font-size: 11pt; margin: 10pt 0 4pt; }",
        "table { border-collapse: collapse; width: 100%; table-layout: fixed; } th, td { border: 0.6pt solid #333; padding: 2pt 3pt; }",
        "th { background: #DDEBF7; font-weight: bold; text-align: center; } td.n { text-align: right; } tr.total td { font-weight: bold; }",
        ".lead { font-size: 10pt; text-indent: 2em; margin: 0 0 6pt; } td.m { text-align: center; color: #777; } ol { padding-left: 14pt; } thead { display: table-header-group; }",
        "</style></head><body>",
        f"<h1>{e(title)}</h1><div class='sub'>{e(subtitle)}</div>",
        f"<p class='lead'>{e(lead)}</p>" if lead else "",
    ]
    for t in tables:
        # Fixed layout with the workbook's column widths: WeasyPrint skips measuring every cell (halves the time).
        total_width = sum(c.width for c in t.columns)
        cols = "".join(f"<col style='width:{c.width / total_width * 100:.2f}%'>" for c in t.columns)
        parts.append(f"<h2>{e(t.heading)}</h2><table><colgroup>{cols}</colgroup><thead><tr>")
        for group, a, b in _groups(t.columns):
            if group and a != b:
                parts.append(f"<th colspan='{b - a + 1}'>{e(group)}</th>")
            else:
                parts.append(f"<th rowspan='2'>{e(t.columns[a].header)}</th>")
        parts.append("</tr><tr>")
        for group, a, b in _groups(t.columns):
            if group and a != b:
                parts.extend(f"<th>{e(t.columns[i].header)}</th>" for i in range(a, b + 1))
        parts.append("</tr></thead><tbody>")
        for row, cls in [(x, "") for x in t.rows] + ([(t.total, "total")] if t.total else []):
            parts.append(f"<tr class='{cls}'>")
            for c in t.columns:
                v = value(c, row)
                klass = "m" if v is None else ("n" if c.kind != "text" else "")
                parts.append(f"<td class='{klass}'>{e(text(c, row))}</td>")
            parts.append("</tr>")
        parts.append("</tbody></table>")
    parts.append("<h2>说明</h2><ol>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ol></body></html>")
    return "".join(parts)


def write_pdf(path: Path, title: str, subtitle: str, tables: Sequence[Table], notes: Sequence[str],
              lead: str | None = None) -> None:
    """The PDF through WeasyPrint."""
    from weasyprint import HTML

    HTML(string=render_html(title, subtitle, tables, notes, lead)).write_pdf(str(path))
