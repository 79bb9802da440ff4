"""The monthly summary of first loans (month × unit × bank): refreshed set-based for the months a write touched.

Every write path (file import, API submission, correction) ends in reports.register.refresh_borrowers, which calls
`refresh_summary` for the months of every loan it recomputed and of every loan that left a month; bulk loads call
`rebuild_summary`. `aggregate` then reads a few thousand summary rows instead of a million loans.
"""

from __future__ import annotations

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from shoudai.oversight.lookups import UNKNOWN_UNIT
from shoudai.oversight.models import FirstLoan, MonthSummary


def _grouped():
    county = func.coalesce(FirstLoan.county_code, UNKNOWN_UNIT)
    listed = func.sum(case((FirstLoan.list_entry_id.is_not(None), 1), else_=0))
    return (select(FirstLoan.period, county, FirstLoan.bank_code, func.count(), func.sum(FirstLoan.amount_fen), listed)
            .where(FirstLoan.verdict == "first").group_by(FirstLoan.period, county, FirstLoan.bank_code))


COLUMNS = ["period", "county_code", "bank_code", "households", "amount_fen", "listed"]


def refresh_summary(session: Session, periods: set[str]) -> None:
    """Recount the summary rows of these months from the loans (delete and re-insert, in the caller's transaction)."""
    if not periods:
        return
    session.flush()
    months = sorted(periods)
    session.execute(delete(MonthSummary).where(MonthSummary.period.in_(months)))
    session.execute(insert(MonthSummary).from_select(COLUMNS, _grouped().where(FirstLoan.period.in_(months))))


def rebuild_summary(session: Session) -> None:
    """Recount every month (after a bulk load)."""
    session.flush()
    session.execute(delete(MonthSummary))
    session.execute(insert(MonthSummary).from_select(COLUMNS, _grouped()))


def aggregate(session: Session, period: str, first_period: str) -> list[tuple]:
    """(county, bank, month hh, month fen, ytd hh, ytd fen, cum hh, cum fen, listed) per county × bank."""
    s = MonthSummary
    year_start = f"{period[:4]}-01"

    def when(cond, col):
        return func.sum(case((cond, col), else_=0))

    q = (select(s.county_code, s.bank_code, when(s.period == period, s.households), when(s.period == period, s.amount_fen),
                when(s.period >= year_start, s.households), when(s.period >= year_start, s.amount_fen),
                func.sum(s.households), func.sum(s.amount_fen), func.sum(s.listed))
         .where(s.period >= first_period, s.period <= period).group_by(s.county_code, s.bank_code))
    return [tuple(r) for r in session.execute(q)]
