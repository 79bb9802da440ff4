"""The signed-in user's own settings: change password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from shoudai.accounts import service
from shoudai.accounts.service import AccountError
from shoudai.web.deps import DB, Current, Now, client_ip, lang_of
from shoudai.web.i18n import translate
from shoudai.web.templating import render

router = APIRouter(prefix="/account")


@router.get("/password")
def password_form(request: Request, cu: Current) -> Response:
    """The change-password form."""
    return render(request, "password.html", {})


@router.post("/password")
def password_submit(
    request: Request, cu: Current, db: DB, now: Now,
    current: Annotated[str, Form(max_length=256)] = "",
    new: Annotated[str, Form(max_length=256)] = "",
    confirm: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Change the password; this session stays, the user's other sessions end."""
    if new != confirm:
        return render(request, "password.html", {"errors": [translate("password.mismatch", lang_of(request))]},
                      status_code=422)
    try:
        service.change_own_password(db, cu.user, current=current, new=new, now=now, source=client_ip(request),
                                    keep_session=cu.session.id)
    except AccountError as exc:
        return render(request, "password.html", {"errors": exc.errors}, status_code=422)
    return render(request, "password.html", {"done": True})
