"""Bulk answer: one checklist for several pushed needs of one bank, all or nothing, with a result per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shoudai.kit.calendar import WorkCalendar
from shoudai.lending import actions, sla
from shoudai.lending.common import Actorish, LendingError, NotFound, now_utc
from shoudai.lending.models import Need
from shoudai.reference.calendar_store import load_calendar

BULK_MAX = 200


@dataclass(frozen=True)
class RowResult:
    """What happened (or would have happened) to one selected track."""

    need_bank_id: int
    ref: str
    ok: bool
    message: str


class BulkRefused(LendingError):
    """At least one row cannot be answered, so none was; `results` says which and why."""

    def __init__(self, results: list[RowResult]):
        super().__init__("bulk_refused", "部分记录不能答复，本次未作任何改动")
        self.results = results


def answer_many(session: Session, need_bank_ids: list[int], conditions: list[str], *, bank_code: str,
                actor: Actorish, now: datetime | None = None, cal: WorkCalendar | None = None) -> list[RowResult]:
    """Answer every selected track with the same checklist, or none of them.

    Raises NotFound if any id is not this bank's (the caller shows 404, as for one track), BulkRefused when a
    track is past the pushed stage; every row is checked before anything is written. On BulkRefused the caller
    rolls its transaction back (see below), so the selection is answered whole or not at all.
    """
    ids = list(dict.fromkeys(need_bank_ids))
    if not ids:
        raise LendingError("empty_selection", "请先勾选要答复的需求")
    if len(ids) > BULK_MAX:
        raise LendingError("too_many", f"一次最多答复 {BULK_MAX} 条")
    now = now_utc(now)
    cal = cal or load_calendar(session)
    rows = [actions.get_track(session, i, bank_code=bank_code) for i in ids]  # NotFound for another bank's id
    refs = {r.id: session.get(Need, r.need_id).ref for r in rows}
    checked = [RowResult(r.id, refs[r.id], r.stage == sla.PUSHED,
                         "可以答复" if r.stage == sla.PUSHED else f"{sla.STATE_ERROR_HINT}（当前：{r.stage}）")
               for r in rows]
    if not all(c.ok for c in checked):
        raise BulkRefused(checked)
    try:
        for r in rows:
            actions.answer(session, r.id, conditions, bank_code=bank_code, actor=actor, now=now, cal=cal)
    except NotFound:
        raise
    except LendingError as exc:
        # Only a race (another answer between the check and the write) gets here, with earlier rows written: the
        # caller owns the transaction and rolls it back. No savepoint: on SQLite one opened before the first write
        # would commit on release.
        raise BulkRefused([RowResult(c.need_bank_id, c.ref, False, str(exc)) for c in checked]) from exc
    return [RowResult(c.need_bank_id, c.ref, True, "已答复") for c in checked]
