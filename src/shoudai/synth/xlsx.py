"""A one-sheet .xlsx written in streaming chunks (inline strings, Excel date cells), byte-for-byte reproducible."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoudai.synth import codes

MAX_ROWS = 1_048_576
EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 to 1970-01-01
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STATIC = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_NS}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}


def _column_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class SheetWriter:
    """Write header + row chunks to one sheet; `kinds` per column: 's' text, 'n' number, 'd' date (days since 1970)."""

    def __init__(self, path: Path, sheet_name: str, header: list[str], kinds: str):
        self.kinds, self.rows = kinds, 0
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        for name, xml in _STATIC.items():
            self.zip.writestr(_info(name), _HEAD + xml)
        workbook = (
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        )
        self.zip.writestr(_info("xl/workbook.xml"), _HEAD + workbook)
        self.sheet = self.zip.open(_info("xl/worksheets/sheet1.xml"), "w", force_zip64=True)
        self.sheet.write((_HEAD + f'<worksheet xmlns="{_NS}"><sheetData>').encode())
        self.letters = [_column_letter(i) for i in range(len(header))]
        self.write([pa.array([h]) for h in header], text_only=True)

    def write(self, cols: list[pa.Array], text_only: bool = False) -> None:
        """Append rows; date columns hold day numbers (int), others strings (null = empty cell)."""
        n = len(cols[0])
        if self.rows + n > MAX_ROWS:
            raise ValueError("an .xlsx sheet holds at most 1,048,576 rows")
        row_no = codes.number_strings(np.arange(self.rows + 1, self.rows + n + 1))
        cells = []
        for letter, kind, col in zip(self.letters, self.kinds, cols, strict=True):
            kind = "s" if text_only else kind
            if kind == "d":
                days = np.asarray(col, dtype=np.int64)
                value = codes.number_strings(days + EXCEL_EPOCH_OFFSET)
                open_, close = '" s="1"><v>', "</v></c>"
            else:
                value = col
                open_, close = (
                    ('" t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>")
                    if kind == "s"
                    else ('"><v>', "</v></c>")
                )
            cell = pc.binary_join_element_wise(f'<c r="{letter}', row_no, open_, value, close, "")
            cells.append(pc.fill_null(cell, ""))
        rows = pc.binary_join_element_wise('<row r="', row_no, '">', *cells, "</row>", "")
        self.sheet.write(codes.string_data(rows))
        self.rows += n

    def close(self) -> None:
        self.sheet.write(b"</sheetData></worksheet>")
        self.sheet.close()
        self.zip.close()
