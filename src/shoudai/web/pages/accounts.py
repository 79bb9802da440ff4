"""City admin: list, create, edit, disable/enable accounts, reset password or TOTP."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from shoudai.accounts import roles, service, sessions, totp
from shoudai.accounts.models import User
from shoudai.accounts.scope import ScopeSpec
from shoudai.accounts.service import AccountError
from shoudai.audit import pii
from shoudai.kit.masking import mask_phone
from shoudai.web.deps import DB, CurrentUser, Now, lang_of, require_roles
from shoudai.web.i18n import translate
from shoudai.web.templating import _bank_names, _division_names, render

router = APIRouter(prefix="/admin/users")
Admin = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN))]
PER_PAGE = 20


def _choices(lang: str) -> dict:
    return {
        "roles": [(r, roles.label(r, lang)) for r in roles.ROLES],
        "divisions": sorted(_division_names().items()),
        "banks": sorted(_bank_names().items()),
    }


class AccountForm:
    """The account form's fields (create and edit share them)."""

    def __init__(
        self,
        display_name: Annotated[str, Form(max_length=100)] = "",
        role: Annotated[str, Form(max_length=32)] = "",
        county_codes: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
        bank_code: Annotated[str, Form(max_length=32)] = "",
        branch_code: Annotated[str, Form(max_length=32)] = "",
        enterprise_uscc: Annotated[str, Form(max_length=32)] = "",
        phone: Annotated[str, Form(max_length=32)] = "",
        username: Annotated[str, Form(max_length=64)] = "",
        password: Annotated[str, Form(max_length=256)] = "",
    ):
        self.display_name, self.role, self.county_codes = display_name, role, county_codes
        self.bank_code, self.branch_code, self.enterprise_uscc = bank_code, branch_code, enterprise_uscc
        self.phone, self.username, self.password = phone.strip(), username, password

    @property
    def scope(self) -> ScopeSpec:
        return ScopeSpec(county_codes=tuple(self.county_codes), bank_code=self.bank_code or None,
                         branch_code=self.branch_code or None, enterprise_uscc=self.enterprise_uscc or None)

    def get(self, key: str, default: str = ""):
        """Template access to the submitted values (to refill the form after an error)."""
        return getattr(self, key, default)

    def getlist(self, key: str) -> list[str]:
        return list(getattr(self, key, []) or [])


Fields = Annotated[AccountForm, Depends()]


@router.get("")
def list_accounts(request: Request, cu: Admin, db: DB, q: str = "", role: str = "", page: int = 1) -> Response:
    """All accounts, searchable, paginated on the server."""
    page = max(1, page)
    rows, total = service.list_users(db, q=q, role=role, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    lang = lang_of(request)
    return render(request, "admin/users.html", {
        "rows": rows, "total": total, "q": q, "role": role, "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)), "mask_phone": mask_phone, "phone_of": service.phone_of,
        **_choices(lang),
    })


@router.get("/new")
def new_form(request: Request, cu: Admin) -> Response:
    """The create-account form."""
    return render(request, "admin/user_form.html", {"u": None, "form": {}, **_choices(lang_of(request))})


@router.post("")
def create(request: Request, cu: Admin, db: DB, now: Now, form: Fields) -> Response:
    """Create an account and show its TOTP enrolment (QR + secret) once."""
    try:
        user, secret = service.create_user(
            db, actor=cu.actor, username=form.username, display_name=form.display_name, role=form.role,
            scope=form.scope, password=form.password, phone=form.phone or None, now=now,
        )
    except AccountError as exc:
        ctx = {"u": None, "form": form, "errors": exc.errors, **_choices(lang_of(request))}
        return render(request, "admin/user_form.html", ctx, status_code=422)
    return _enrol_page(request, user, secret)


def _enrol_page(request: Request, user, secret: str | None) -> Response:
    qr = totp.qr_svg(secret, user.username) if secret else None
    return render(request, "admin/enrol.html", {"u": user, "secret": secret, "qr": qr})


@router.get("/{user_id}")
def edit_form(request: Request, cu: Admin, db: DB, user_id: int, msg: str = "", n: int = 0) -> Response:
    """One account: edit form, status, open sessions, and the disable/reset actions."""
    user = db.get(User, user_id)
    if user is None:
        return render(request, "error.html", {"message": translate("error.404", lang_of(request))}, status_code=404)
    phone = service.phone_of(user)
    return render(request, "admin/user_form.html", {
        "u": user, "form": {}, "masked_phone": mask_phone(phone) if phone else "-",
        "open_sessions": len(sessions.open_sessions(db, user.id)), "msg": msg, "n": n,
        **_choices(lang_of(request)),
    })


@router.post("/{user_id}")
def update(request: Request, cu: Admin, db: DB, now: Now, user_id: int, form: Fields) -> Response:
    """Save name, role, scope and (if given) phone."""
    existing = db.get(User, user_id)
    had_totp = bool(existing and existing.totp_secret_enc)
    try:
        user = service.update_user(db, user_id, actor=cu.actor, display_name=form.display_name, role=form.role,
                                   scope=form.scope, phone=form.phone or None, keep_phone=not form.phone, now=now)
    except AccountError as exc:
        user = db.get(User, user_id)
        ctx = {"u": user, "form": form, "errors": exc.errors, "masked_phone": "",
               "open_sessions": 0, **_choices(lang_of(request))}
        return render(request, "admin/user_form.html", ctx, status_code=422)
    if not had_totp and user.totp_secret_enc:  # became staff: show the new second factor once
        return _enrol_page(request, user, service.totp_secret_of(user))
    return RedirectResponse(f"/admin/users/{user_id}?msg=saved", status_code=303)


@router.post("/{user_id}/reveal-phone")
def reveal_phone(request: Request, cu: Admin, db: DB, now: Now, user_id: int,
                 purpose: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Show the full phone number once a purpose is stated; the view is audited (an htmx fragment or a page)."""
    user = db.get(User, user_id)
    if user is None:
        return render(request, "error.html", {"message": translate("error.404", lang_of(request))}, status_code=404)
    phone = service.phone_of(user)
    try:
        full = pii.reveal(db, cu.actor, kind="phone", value=phone, purpose=purpose, object_type="user",
                          object_id=user.id, at=now)
        ctx = {"u": user, "full_phone": full or "-", "purpose": purpose.strip(), "error": None}
    except pii.RevealRefused as exc:
        ctx = {"u": user, "full_phone": None, "masked_phone": mask_phone(phone) if phone else "-",
               "error": str(exc)}
    fragment = bool(request.headers.get("hx-request"))
    return render(request, "admin/_phone_box.html" if fragment else "admin/phone_page.html", ctx)


@router.post("/{user_id}/disable")
def disable(request: Request, cu: Admin, db: DB, now: Now, user_id: int) -> Response:
    """Disable the account and end all its sessions at once."""
    ended = len(sessions.open_sessions(db, user_id))
    try:
        service.set_disabled(db, user_id, actor=cu.actor, disabled=True, now=now)
    except AccountError as exc:
        return render(request, "error.html", {"message": "; ".join(exc.errors)}, status_code=422)
    return RedirectResponse(f"/admin/users/{user_id}?msg=disabled&n={ended}", status_code=303)


@router.post("/{user_id}/enable")
def enable(request: Request, cu: Admin, db: DB, now: Now, user_id: int) -> Response:
    """Re-enable a disabled account."""
    try:
        service.set_disabled(db, user_id, actor=cu.actor, disabled=False, now=now)
    except AccountError as exc:
        return render(request, "error.html", {"message": "; ".join(exc.errors)}, status_code=422)
    return RedirectResponse(f"/admin/users/{user_id}?msg=enabled", status_code=303)


@router.post("/{user_id}/reset-totp")
def reset_totp(request: Request, cu: Admin, db: DB, now: Now, user_id: int) -> Response:
    """Issue a new TOTP secret and show its enrolment once."""
    try:
        user, secret = service.reset_totp(db, user_id, actor=cu.actor, now=now)
    except AccountError as exc:
        return render(request, "error.html", {"message": "; ".join(exc.errors)}, status_code=422)
    return _enrol_page(request, user, secret)


@router.post("/{user_id}/reset-password")
def reset_password(request: Request, cu: Admin, db: DB, now: Now, user_id: int,
                   new_password: Annotated[str, Form(max_length=256)] = "") -> Response:
    """Set a new password; the user's sessions end."""
    try:
        service.reset_password(db, user_id, actor=cu.actor, new_password=new_password, now=now)
    except AccountError as exc:
        return render(request, "error.html", {"message": "; ".join(exc.errors)}, status_code=422)
    return RedirectResponse(f"/admin/users/{user_id}?msg=password", status_code=303)
