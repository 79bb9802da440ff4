"""The home page after sign-in: who you are, what you can see, and where to go."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.audit.models import AuditEvent
from shoudai.web.deps import DB, Current, Now
from shoudai.web.templating import SHANGHAI, local_time, render

router = APIRouter()


def sign_in_counts(db, now, days: int = 14) -> dict[str, list]:
    """Successful sign-ins per Beijing day for the last `days` days (the admin's chart)."""
    since = now - timedelta(days=days)
    ats = db.scalars(select(AuditEvent.at).where(AuditEvent.action == "login.success", AuditEvent.at >= since))
    per_day = Counter(local_time(a, "%m-%d") for a in ats)
    labels = [(now - timedelta(days=i)).astimezone(SHANGHAI).strftime("%m-%d") for i in range(days - 1, -1, -1)]
    return {"labels": labels, "values": [per_day.get(d, 0) for d in labels]}


@router.get("/")
def home(request: Request, cu: Current, db: DB, now: Now) -> Response:
    """Welcome page with the user's role and scope."""
    chart = sign_in_counts(db, now) if cu.role == roles.CITY_ADMIN else None
    return render(request, "home.html", {"chart": chart})
