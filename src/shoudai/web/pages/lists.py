"""The lists at work (L5, L7): city overview, county lists and Excel, banks' pool/claims/assignment, officers' queue,
the entity page. Scope is applied in every query (shoudai.outreach.queries), never in templates."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.audit import service as audit
from shoudai.outreach import branch as branch_pool
from shoudai.outreach import claims, contacts, queries, timeline
from shoudai.outreach.claims import NotInScope, OutreachError
from shoudai.outreach.models import ACTIVE, EXPIRED, OUTCOMES, RELEASED
from shoudai.outreach.queries import EntryFilter
from shoudai.registry import lists as registry_lists
from shoudai.web.deps import DB, Current, CurrentUser, Forbidden, Now, lang_of, require_roles
from shoudai.web.i18n import MESSAGES, translate
from shoudai.web.pages import lists_branch
from shoudai.web.pages import lists_excel as excel
from shoudai.web.templating import SHANGHAI, county_name, local_time, render

router = APIRouter(prefix="/lists")
ListUser = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN, roles.COUNTY_OFFICER))]
BankHQ = Annotated[CurrentUser, Depends(require_roles(roles.BANK_HQ))]
BankPageViewer = Annotated[CurrentUser, Depends(require_roles(roles.BANK_HQ, roles.CITY_ADMIN))]
QueueViewer = Annotated[CurrentUser, Depends(require_roles(roles.LOAN_OFFICER, roles.CITY_ADMIN))]
EntityViewer = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN, roles.COUNTY_OFFICER, roles.BANK_HQ,
                                                            roles.LOAN_OFFICER))]
Contactor = Annotated[CurrentUser, Depends(require_roles(roles.BANK_HQ, roles.LOAN_OFFICER))]
PER_PAGE = 50
EXPORT_LIMIT = 200_000
# Stored codes → catalogue keys of their labels (outcomes are stored as the Chinese words the programme uses).
OUTCOME_KEY = dict(zip(OUTCOMES, ("need", "no_need", "ineligible", "unreachable"), strict=True))
SECTIONS = "ABCDEFGHIJKLMNOPQRST"
Text = Annotated[str, Form()]
router.include_router(lists_branch.router)


def labels(lang: str) -> dict[str, dict[str, str]]:
    """The labels of stored codes in the user's language: list kinds, changes, outcomes, claim statuses."""
    def t(key: str) -> str:
        return translate(key, lang)
    return {
        "kinds": {k: t(f"lists.kind.{k}") for k in queries.KINDS},
        "changes": {k: t(f"lists.change.{k}") for k in queries.CHANGES},
        "outcome_labels": {o: t(f"lists.outcome.{k}") for o, k in OUTCOME_KEY.items()},
        "statuses": {k: t(f"lists.status.{k}") for k in (ACTIVE, RELEASED, EXPIRED)},
    }


def _pages(total: int) -> queries.Total:
    """How many pages; when the count was capped ("10000+"), so is the page count ("200+")."""
    return queries.Total(max(1, math.ceil(total / PER_PAGE)), exact=getattr(total, "exact", True))


def _filter(list_kind: str, tier: str, section: str, address: str, change: str, county: str) -> EntryFilter:
    return EntryFilter(list_kind, tier, section, address, change, county).clean()


def _version(db, year: int | None):
    version = queries.pick_version(db, year)
    if version is None and year:
        raise HTTPException(status_code=404)
    return version


def _common(request: Request, db, version, f: EntryFilter, cu: CurrentUser) -> dict:
    return {"version": version, "versions": queries.versions(db), "f": f, **labels(lang_of(request)),
            "sections": SECTIONS, "counties": cu.scope.county_codes, "outcomes": OUTCOMES}


@router.get("")
def index(request: Request, cu: Current, db: DB) -> Response:
    """Each role's starting point: the city overview, or the role's own list page."""
    target = {roles.COUNTY_OFFICER: "/lists/entries", roles.BANK_HQ: "/lists/pool",
              roles.LOAN_OFFICER: "/lists/queue"}.get(cu.role)
    if target:
        return RedirectResponse(target, status_code=303)
    if cu.role != roles.CITY_ADMIN:
        raise Forbidden()
    versions = queries.versions(db)
    years = [v.year for v in versions][:3]
    tables = {}
    for y in years:
        rows, total = registry_lists.summary(db, y)
        tables[y] = ({r.county_code: r for r in rows}, total)
    codes = list(dict.fromkeys(c for y in years for c in tables[y][0]))
    return render(request, "lists/overview.html", {"years": years, "tables": tables, "codes": codes,
                                                   "stale": registry_lists.stale_versions(versions)})


@router.get("/entries")
def entries(request: Request, cu: ListUser, db: DB, year: int | None = None, list_kind: str = "", tier: str = "",
            section: str = "", address: str = "", change: str = "", county: str = "", page: int = 1) -> Response:
    """A county's (or the city's) entries, filtered and paginated on the server."""
    version = _version(db, year)
    f = _filter(list_kind, tier, section, address, change, county)
    rows, total = queries.list_entries(db, cu.scope, version.id, f, page=page, per_page=PER_PAGE) if version else ([], 0)
    return render(request, "lists/entries.html", {
        **_common(request, db, version, f, cu), "rows": rows, "total": total, "page": max(1, page),
        "pages": _pages(total), "params": {**f.params(), "year": version.year if version else ""},
    })


def _export_entries(request: Request, cu: CurrentUser, db, now, year: int | None, f: EntryFilter, *, entries,
                    title: Callable[[str, int], str], action: str, stem: str, detail: dict) -> Response:
    """Entries (masked legal representatives) as an audited Excel download; `entries(version_id)` streams them."""
    version = _version(db, year)
    if version is None:
        raise HTTPException(status_code=404)
    lang = lang_of(request)
    lab = labels(lang)
    data, n = excel.sheet((excel.entry_values(e, lab) for e in entries(version.id)), title(lang, version.year), lang)
    audit.record(db, cu.actor, action, object_type="list_version", object_id=version.year, at=now,
                 detail={"rows": n, "filter": f.params(), **detail})
    return excel.download(data, f"{stem}-{version.year}", now)


@router.post("/export")
def export(request: Request, cu: ListUser, db: DB, now: Now, year: Annotated[int | None, Form()] = None,
           list_kind: Text = "", tier: Text = "", section: Text = "", address: Text = "", change: Text = "",
           county: Text = "") -> Response:
    """The filtered, scoped entries as Excel (legal representatives masked); POST because it is audited."""
    f = _filter(list_kind, tier, section, address, change, county)

    def title(lang: str, year_: int) -> str:
        where = (translate("lists.xlsx.join", lang).join(county_name(c) for c in ([f.county] if f.county
                                                                                  else cu.scope.county_codes))
                 or translate("scope.city", lang))
        return translate("lists.xlsx.title", lang, where=where, year=year_)

    return _export_entries(request, cu, db, now, year, f,
                           entries=lambda vid: queries.iter_entries(db, cu.scope, vid, f, EXPORT_LIMIT), title=title,
                           action="lists.export", stem="lists", detail={"counties": list(cu.scope.county_codes)})


@router.get("/pool")
def pool(request: Request, cu: BankPageViewer, db: DB, now: Now, year: int | None = None, list_kind: str = "",
         tier: str = "", section: str = "", address: str = "", change: str = "", county: str = "", page: int = 1,
         claimed: int | None = None, lost: int | None = None) -> Response:
    """The bank's unclaimed pool in its service area, with claim-one and claim-all-matching."""
    if cu.role == roles.CITY_ADMIN:
        return RedirectResponse("/lists", status_code=303)
    version = _version(db, year)
    f = _filter(list_kind, tier, section, address, change, county)
    rows, total = queries.pool(db, cu.scope, version.id, f, now, page=page, per_page=PER_PAGE) if version else ([], 0)
    return render(request, "lists/pool.html", {
        **_common(request, db, version, f, cu), "rows": rows, "total": total, "page": max(1, page),
        "pages": _pages(total), "params": {**f.params(), "year": version.year if version else ""},
        "claimed": claimed, "lost": lost, "bulk_max": claims.BULK_MAX, "days": claims.claim_days(),
    })


@router.post("/pool/export")
def export_pool(request: Request, cu: BankHQ, db: DB, now: Now, year: Annotated[int | None, Form()] = None,
                list_kind: Text = "", tier: Text = "", section: Text = "", address: Text = "", change: Text = "",
                county: Text = "") -> Response:
    """The bank's unclaimed pool under the page's filter as Excel (legal representatives masked); audited."""
    f = _filter(list_kind, tier, section, address, change, county)
    return _export_entries(request, cu, db, now, year, f,
                           entries=lambda vid: queries.iter_pool(db, cu.scope, vid, f, now, EXPORT_LIMIT),
                           title=lambda lang, y: translate("lists.pool.xlsx", lang, year=y),
                           action="lists.export_pool", stem="pool", detail={})


def _back(path: str, params: dict) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({k: v for k, v in params.items() if v not in ('', None)})}",
                            status_code=303)


@router.post("/claim")
def claim_one(request: Request, cu: BankHQ, db: DB, now: Now, entity_key: Text,
              year: Annotated[int, Form()]) -> Response:
    """Claim one entry; if another bank got there first the page says so."""
    version = _version(db, year)
    try:
        won = claims.claim_one(db, cu.scope, version, entity_key, actor=cu.actor, now=now)
    except NotInScope:
        raise HTTPException(status_code=404) from None
    return _back("/lists/pool", {"year": year, "claimed": 1 if won else 0, "lost": 0 if won else 1})


@router.post("/claim-bulk")
def claim_bulk(request: Request, cu: BankHQ, db: DB, now: Now, year: Annotated[int, Form()], list_kind: Text = "",
               tier: Text = "", section: Text = "", address: Text = "", change: Text = "",
               county: Text = "") -> Response:
    """Claim every unclaimed entry matching the current filter (up to BULK_MAX) in one statement."""
    version = _version(db, year)
    f = _filter(list_kind, tier, section, address, change, county)
    try:
        n = claims.claim_bulk(db, cu.scope, version, f, actor=cu.actor, now=now)
    except NotInScope:
        raise HTTPException(status_code=404) from None
    return _back("/lists/pool", {**f.params(), "year": year, "claimed": n})


@router.get("/claims")
def claim_list(request: Request, cu: BankPageViewer, db: DB, now: Now, assigned: str = "", page: int = 1,
               done: int | None = None, pooled: int | None = None, branch: str = "") -> Response:
    """The bank's live claims, assignment to its loan officers, and progress by outcome."""
    if cu.role == roles.CITY_ADMIN:
        return RedirectResponse("/lists", status_code=303)
    rows, total = queries.bank_claims(db, cu.scope, now, assigned=assigned, page=page, per_page=PER_PAGE)
    return render(request, "lists/claims.html", {
        "rows": rows, "total": total, "page": max(1, page), "pages": _pages(total),
        "params": {"assigned": assigned}, "assigned": assigned, "officers": queries.bank_officers(db, cu.scope),
        "progress": queries.progress(db, cu.scope, now), "outcomes": OUTCOMES, "done": done, "pooled": pooled,
        "branch": branch, "branches": branch_pool.bank_branches(db, cu.scope),
        "pool_sizes": branch_pool.pool_sizes(db, cu.scope, now), **labels(lang_of(request)),
    })


@router.post("/assign")
def assign(request: Request, cu: BankHQ, db: DB, now: Now, claim_id: Annotated[list[str] | None, Form()] = None,
           officer_id: Text = "") -> Response:
    """Assign the ticked claims to one loan officer of the bank."""
    try:
        ids = [int(v) for v in claim_id or []]
        officer = int(officer_id or 0)
    except ValueError:
        raise HTTPException(status_code=404) from None
    try:
        n = claims.assign(db, cu.scope, ids, officer, actor=cu.actor, now=now)
    except OutreachError:
        return _back("/lists/claims", {"done": 0})
    except NotInScope:
        raise HTTPException(status_code=404) from None
    return _back("/lists/claims", {"done": n})


def _claim_rows(db, cu: CurrentUser, now, lang: str) -> list[tuple]:
    """The bank's live claims (a loan officer: its own), each with the latest contact, for Excel."""
    rows, _ = queries.bank_claims(db, cu.scope, now, page=1, per_page=EXPORT_LIMIT)
    last = queries.last_contacts(db, [c.id for c, *_ in rows])
    outcome_labels = labels(lang)["outcome_labels"]
    out = []
    for c, name, county, tier, officer in rows:
        outcome, follow = last.get(c.id, ("", None))
        out.append((name, county_name(county), tier, c.claimed_by, local_time(c.expires_at, "%Y-%m-%d"),
                    officer or "", outcome_labels.get(outcome, outcome), str(follow or ""), c.branch_code or ""))
    return out


@router.post("/claims/export")
def export_claims(request: Request, cu: Contactor, db: DB, now: Now) -> Response:
    """The bank's claims (bank HQ) or the officer's queue (loan officer) as Excel; audited."""
    lang = lang_of(request)
    title = translate("lists.claims.xlsx" if cu.role == roles.BANK_HQ else "lists.queue.title", lang)
    data, n = excel.sheet(_claim_rows(db, cu, now, lang), title, lang, excel.CLAIM_COLUMNS)
    audit.record(db, cu.actor, "lists.export_claims", object_type="bank", object_id=cu.scope.bank_code, at=now,
                 detail={"rows": n})
    return excel.download(data, "claims", now)


@router.post("/release")
def release(request: Request, cu: BankHQ, db: DB, now: Now, claim_id: Text = "") -> Response:
    """End one of the bank's live claims early: the business goes back to every bank's pool."""
    try:
        claim = claims.release(db, cu.scope, int(claim_id or 0), actor=cu.actor, now=now)
    except (NotInScope, ValueError):
        raise HTTPException(status_code=404) from None
    return RedirectResponse(f"/lists/entity?{urlencode({'key': claim.entity_key})}", status_code=303)


@router.get("/queue")
def work_queue(request: Request, cu: QueueViewer, db: DB, now: Now, page: int = 1) -> Response:
    """The loan officer's entries, soonest deadline first, with the last outcome and next follow-up."""
    if cu.role == roles.CITY_ADMIN:
        return RedirectResponse("/lists", status_code=303)
    rows, total = queries.queue(db, cu.scope, now, page=page, per_page=PER_PAGE)
    return render(request, "lists/queue.html", {
        "rows": rows, "total": total, "page": max(1, page), "pages": _pages(total),
        "params": {}, "progress": queries.progress(db, cu.scope, now), "outcomes": OUTCOMES,
        "today": now.astimezone(SHANGHAI).date(), "in_branch_pool": sum(branch_pool.pool_sizes(db, cu.scope, now).values()),
        **labels(lang_of(request)),
    })


def _removals(db, key: str, lang: str) -> list[tuple[int, str]]:
    """(year, reason label) of each removal; a reason code the catalogue does not know shows as itself."""
    return [(year, translate(f"lists.removal.{code}", lang) if f"lists.removal.{code}" in MESSAGES else code)
            for year, code in timeline.removals(db, key)]


def _message(exc: OutreachError, lang: str) -> str:
    return translate(exc.key, lang, **exc.params) if exc.key else str(exc)


def _entity_page(request: Request, cu: CurrentUser, db, now, key: str, error: OutreachError | None = None,
                 status: int = 200, saved: bool = False) -> Response:
    view = queries.entity_view(db, cu.scope, key, now)
    if view is None:
        raise HTTPException(status_code=404)
    can_contact = view.live_claim is not None and (
        cu.role == roles.BANK_HQ or (cu.role == roles.LOAN_OFFICER and view.live_claim.assigned_to == cu.user.id))
    return render(request, "lists/entity.html", {
        "v": view, "e": view.latest, **labels(lang_of(request)), "removals": _removals(db, key, lang_of(request)), "outcomes": OUTCOMES, "can_contact": can_contact,
        "can_release": view.live_claim is not None and cu.role == roles.BANK_HQ,
        "taken": view.live_claim is None and queries.is_taken(db, key, now),
        "error": _message(error, lang_of(request)) if error else None, "saved": saved, "today": now.astimezone(SHANGHAI).date().isoformat(),
    }, status_code=status)


@router.get("/entity")
def entity(request: Request, cu: EntityViewer, db: DB, now: Now, key: str = "", saved: int = 0) -> Response:
    """The business and its timeline: list versions, claims, contacts (404 for anyone out of scope)."""
    if not key:
        return RedirectResponse("/lists", status_code=303)
    return _entity_page(request, cu, db, now, key, saved=bool(saved))


@router.post("/entity/contact")
def record_contact(request: Request, cu: Contactor, db: DB, now: Now, key: Text = "", outcome: Text = "",
                   note: Text = "", next_follow_up: Text = "") -> Response:
    """Record one contact on the bank's live claim of this business."""
    try:
        follow = date.fromisoformat(next_follow_up) if next_follow_up else None
    except ValueError:
        follow = None
        error = OutreachError("下次跟进日期格式不正确", "lists.error.follow_format")
    else:
        error = None
    if error is None:
        try:
            contacts.record_contact(db, cu.scope, key, outcome=outcome, note=note, next_follow_up=follow,
                                    today=now.astimezone(SHANGHAI).date(), actor=cu.actor, now=now)
        except NotInScope:
            raise HTTPException(status_code=404) from None
        except OutreachError as exc:
            error = exc
    if error:
        return _entity_page(request, cu, db, now, key, error=error, status=422)
    return RedirectResponse(f"/lists/entity?{urlencode({'key': key, 'saved': 1})}", status_code=303)
