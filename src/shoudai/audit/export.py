"""The audit trail as an Excel workbook (Chinese headers, Beijing time)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from shoudai.audit.models import AuditEvent
from shoudai.audit.service import utc

HEADERS = ["编号", "时间(北京时间)", "用户", "角色", "操作", "对象类型", "对象", "来源地址", "结果", "详情", "本行哈希"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_xlsx(rows: Iterable[AuditEvent], tz: ZoneInfo = SHANGHAI) -> bytes:
    """A one-sheet workbook of `rows`; streamed (write-only) so a large export stays small in memory."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append(HEADERS)
    for ev in rows:
        ws.append([
            ev.id, utc(ev.at).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), ev.actor, ev.role, ev.action,
            ev.object_type, ev.object_id, ev.source, ev.outcome, ev.detail, ev.row_hash,
        ])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
