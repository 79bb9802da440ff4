"""Demo loan needs (Q2–Q5): businesses from the newest lists scan a code and banks work them on the 211 clocks.

Everything goes through the real lending services (form check, one-time code, push, each bank step, the sweep), at
simulated times over the last few weeks, so the workbench, the status pages and the compliance figures show a city
at work: some needs answered on time, some late, some declined with a reason, some disbursed.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import SHANGHAI
from shoudai.lending import actions, channels, identity, service, sla, sweep
from shoudai.lending.common import LendingError
from shoudai.lending.forms import NeedForm
from shoudai.lending.models import Breach, Channel, Need, NeedBank
from shoudai.reference.calendar_store import load_calendar
from shoudai.reference.loaders import banks
from shoudai.registry.models import ListEntry, ListVersion

ACTOR = "demo"
PURPOSES = ("进货周转", "购置设备", "支付租金", "扩大经营", "季节性备货", "发放工资")
GUARANTEES = ("credit", "credit", "credit", "mortgage", "guarantee", "pledge")
CONDITIONS = sla.CONDITION_HINTS
# The demo bank HQ and loan officer belong to ICBC: it gets a fair share of needs so its workbench is not empty.
FAVOURED_BANK = "ICBC"


@dataclass
class SeedReport:
    channels: int = 0
    needs: int = 0
    tracks: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    breaches: int = 0


def demo_channels(session: Session, now: datetime) -> list[Channel]:
    """One code per channel kind (county ones in the first counties of the newest list); existing codes are kept."""
    have = {c.code: c for c in session.scalars(select(Channel))}
    counties = [c for (c,) in session.execute(select(ListEntry.county_code).distinct().limit(6))]
    out = []
    for i, kind in enumerate(channels.KINDS):
        code = f"demo-{kind.replace('_', '-')}"[:32]
        if code in have:
            out.append(have[code])
            continue
        county = counties[i % len(counties)] if counties else None
        out.append(channels.create_channel(
            session, code=code, name=f"演示·{channels.KINDS[kind]}", kind=kind, county_code=county,
            bank_code=FAVOURED_BANK if kind == "bank_branch" else None, actor=ACTOR, now=now))
    return out


def _business_hours_before(rng: random.Random, now: datetime, days: int) -> datetime:
    """A moment in office hours (Beijing) within the last `days` days."""
    local = now.astimezone(SHANGHAI) - timedelta(days=rng.uniform(0.5, days))
    return local.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59), second=0, microsecond=0)


def _candidates(session: Session, count: int, rng: random.Random) -> list[ListEntry]:
    newest = session.scalar(select(func.max(ListVersion.id)))
    if newest is None:
        return []
    rows = list(session.scalars(select(ListEntry).where(ListEntry.version_id == newest, ListEntry.uscc.is_not(None),
                                                         ListEntry.legal_rep_masked.is_not(None))
                                .order_by(ListEntry.entity_key).limit(count * 20)))
    return rng.sample(rows, min(count, len(rows)))


def seed_demo_needs(session: Session, *, now: datetime, count: int = 240, seed: int = 2026, days: int = 15
                    ) -> SeedReport:
    """Submit `count` needs over the last `days` days and play each bank's part, in time order; then sweep."""
    rng = random.Random(seed)
    cal = load_calendar(session)
    report = SeedReport()
    codes = demo_channels(session, now)
    report.channels = len(codes)
    bank_codes = [b.code for b in banks()]
    # Every step is an event at a simulated time; the sweep runs before each one, so a clock that ran out in the
    # meantime is recorded then, as the periodic job would have done.
    events: list[tuple[datetime, int, Callable[[], None]]] = []
    seq = iter(range(10**9))

    def at(when: datetime, step: Callable[[], None]) -> None:
        if when < now:
            heapq.heappush(events, (when, next(seq), step))

    def submit(i: int, entry: ListEntry, when: datetime) -> None:
        need = _submit(session, entry, i, when, rng.choice(codes), bank_codes, rng, cal)
        if need is None:
            return
        report.needs += 1
        for row in service.tracks_of(session, need):
            report.tracks += 1
            # A track's steps are in time order, so each runs after the one it needs (later ones past `now` drop).
            for step_at, step in _plan(row, when, rng, cal):
                at(step_at, step)

    for i, entry in enumerate(sorted(_candidates(session, count, rng), key=lambda e: e.entity_key)):
        when = _business_hours_before(rng, now, days)
        at(when, lambda i=i, entry=entry, when=when: submit(i, entry, when))
    while events:
        when, _, step = heapq.heappop(events)
        sweep.sweep(session, now=when)
        step()
    sweep.run_sweep(session, now=now, actor="system:sweep", cal=cal)
    report.breaches = session.scalar(select(func.count()).select_from(Breach)) or 0
    for stage, n in session.execute(select(NeedBank.stage, func.count()).group_by(NeedBank.stage)):
        report.stages[stage] = n
    return report


def _submit(session, entry: ListEntry, i: int, at: datetime, channel: Channel, bank_codes, rng, cal):
    phone = f"139{(i * 7919) % 10**8:08d}"
    chosen = () if rng.random() < 0.3 else tuple(rng.sample(bank_codes, rng.randint(1, 3)))
    if chosen and FAVOURED_BANK not in chosen and rng.random() < 0.35:
        chosen = (FAVOURED_BANK, *chosen[:2])
    form = NeedForm(uscc=entry.uscc, name=entry.name, amount_wan=str(rng.choice((10, 20, 30, 50, 80, 100, 200))),
                    term_months=str(rng.choice((6, 12, 12, 24, 36))), purpose=rng.choice(PURPOSES),
                    guarantee=rng.choice(GUARANTEES), contact_name=(entry.legal_rep_masked or "王*").rstrip("*") + "先生",
                    contact_phone=phone, banks=chosen, recommend_for_me=not chosen, consent=True)
    try:
        need = service.submit_need(session, form, channel=channel, idempotency_key=f"demo-need-{entry.entity_key}",
                                   actor=ACTOR, now=at).need
        code = f"{rng.randrange(10**6):06d}"
        ch = identity.issue_otp(session, phone, uscc=need.uscc, actor=ACTOR, now=at, code_source=lambda: code)
        claim = identity.IdentityClaim(need.uscc, need.name, form.contact_name, phone, ch.id, code)
        result = service.verify_and_push(session, need, claim, verifier=identity.OtpRegistryVerifier(),
                                         actor=ACTOR, now=at + timedelta(minutes=2), cal=cal)
    except (LendingError, ValueError):
        return None  # a form the rules refuse (e.g. a name the registry spells otherwise): a real visitor retries
    return need if result.verification.ok else None


def _after(rng: random.Random, at: datetime, low_h: float, high_h: float) -> datetime:
    return at + timedelta(hours=rng.uniform(low_h, high_h))


def _plan(row: NeedBank, pushed: datetime, rng: random.Random, cal) -> Iterator[tuple[datetime, Callable[[], None]]]:
    """One bank's part as timed steps: mostly on time, a few late, some declined, some not yet done."""
    bank, need_bank_id = row.bank_code, row.id
    kw = {"bank_code": bank, "actor": f"demo:{bank}", "cal": cal}
    session = Session.object_session(row)
    roll = rng.random()
    if roll < 0.06:
        return  # untouched: its answer clock runs (and may already have run out)
    t = _after(rng, pushed, 30, 80) if roll < 0.14 else _after(rng, pushed, 0.5, 20)  # a few banks are slow
    if roll < 0.24:
        reason = rng.choice(list(sla.DECLINE_REASONS))
        yield t, lambda: actions.decline(session, need_bank_id, reason, "演示：不符合本行准入要求", now=t, **kw)
        return
    conditions = rng.sample(CONDITIONS, rng.randint(1, 3))
    yield t, lambda: actions.answer(session, need_bank_id, conditions, now=t, **kw)
    if rng.random() < 0.45:
        return  # the business is still gathering what the bank asked for
    t1 = _after(rng, t, 20, 90)
    yield t1, lambda: actions.mark_conditions_met(session, need_bank_id, now=t1, **kw)
    t2 = _after(rng, t1, 1, 26)
    yield t2, lambda: actions.accept(session, need_bank_id, now=t2, **kw)
    t3 = _after(rng, t2, 1, 26)
    if rng.random() < 0.2:
        why = rng.choice(("no_cash_flow", "credit_record", "no_collateral"))
        yield t3, lambda: actions.decide(session, need_bank_id, False, reason=why, now=t3, **kw)
        return
    yield t3, lambda: actions.decide(session, need_bank_id, True, now=t3, **kw)
    t4 = _after(rng, t3, 4, 60)
    share = Decimal(rng.choice(("1", "1", "0.8", "0.6")))

    def pay() -> None:
        need = session.get(Need, session.get(NeedBank, need_bank_id).need_id)
        amount = (Decimal(need.amount_wan) * share).quantize(Decimal("0.01"))
        actions.disburse(session, need_bank_id, amount, t4.astimezone(SHANGHAI).date(), f"DEMO-{bank}-{need_bank_id:06d}",
                         now=t4, **kw)

    yield t4, pay
