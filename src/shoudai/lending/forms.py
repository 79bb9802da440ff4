"""The need form (Q2) as data, and its validation with Chinese messages per field."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from stdnum.cn import uscc as stdnum_uscc

from shoudai.lending.identity import normalise_phone
from shoudai.reference.loaders import banks

GUARANTEES = {"credit": "信用", "mortgage": "抵押", "pledge": "质押", "guarantee": "保证/担保公司", "other": "其他"}
KINDS = {"first_loan": "首次贷款", "renewal": "续贷"}
MAX_AMOUNT_WAN = Decimal(10000)  # 1 亿元: above this it is not a small/micro first loan
CONSENT_PURPOSE = "办理融资对接（初步意向、授信、受理、审批、放款）"
CONSENT_DATA = "企业名称、统一社会信用代码、所在区县、融资金额、期限、用途、担保方式、联系人姓名及手机号"


class FormError(ValueError):
    """The form has problems: field → Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class NeedForm:
    """What the business typed (strings as typed; `clean` normalises and checks)."""

    uscc: str
    name: str
    amount_wan: Decimal | str
    term_months: int | str
    purpose: str
    guarantee: str
    contact_name: str
    contact_phone: str
    banks: tuple[str, ...] = ()
    recommend_for_me: bool = False
    consent: bool = False
    kind: str = "first_loan"
    extra: dict = field(default_factory=dict)


def normalise_uscc(raw: str) -> str:
    """Upper case, full-width to half-width, spaces dropped."""
    return "".join(unicodedata.normalize("NFKC", raw or "").split()).upper()


def clean(form: NeedForm) -> NeedForm:
    """A normalised copy of the form, or FormError listing every problem."""
    errors: dict[str, str] = {}
    uscc = normalise_uscc(form.uscc)
    if not uscc:
        errors["uscc"] = "请填写统一社会信用代码"
    elif not stdnum_uscc.is_valid(uscc):
        errors["uscc"] = "统一社会信用代码格式或校验位不正确"
    name = " ".join((form.name or "").split())
    if not name:
        errors["name"] = "请填写企业（个体工商户）名称"
    elif len(name) > 200:
        errors["name"] = "名称过长"
    try:
        amount = Decimal(str(form.amount_wan).strip())
        if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT_WAN or amount != amount.quantize(Decimal("0.01")):
            raise InvalidOperation
        amount = amount.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["amount_wan"] = f"金额须为 0.01–{MAX_AMOUNT_WAN} 万元之间的数字（最多两位小数）"
        amount = Decimal(0)
    try:
        term = int(str(form.term_months).strip())
        if not 1 <= term <= 360:
            raise ValueError
    except ValueError:
        errors["term_months"] = "期限须为 1–360 个月"
        term = 0
    purpose = " ".join((form.purpose or "").split())
    if not purpose:
        errors["purpose"] = "请填写资金用途"
    elif len(purpose) > 200:
        errors["purpose"] = "资金用途请控制在 200 字以内"
    if form.guarantee not in GUARANTEES:
        errors["guarantee"] = "请选择担保方式"
    if form.kind not in KINDS:
        errors["kind"] = "需求类型无效"
    known = {b.code for b in banks()}
    chosen = tuple(dict.fromkeys(b.strip().upper() for b in form.banks if b and b.strip()))
    if form.recommend_for_me:
        chosen = ()
    elif not 1 <= len(chosen) <= 3:
        errors["banks"] = "请选择 1–3 家银行，或选择“为我推荐”"
    elif any(b not in known for b in chosen):
        errors["banks"] = "所选银行不在本市驻新银行名录中"
    contact = " ".join((form.contact_name or "").split())
    if not contact or len(contact) > 50:
        errors["contact_name"] = "请填写联系人姓名"
    phone = normalise_phone(form.contact_phone)
    if not (len(phone) == 11 and phone.startswith("1")):
        errors["contact_phone"] = "请填写 11 位手机号"
    if not form.consent:
        errors["consent"] = "须同意将上述信息提供给所选银行，才能推送需求"
    if errors:
        raise FormError(errors)
    return NeedForm(uscc=uscc, name=name, amount_wan=amount, term_months=term, purpose=purpose,
                    guarantee=form.guarantee, contact_name=contact, contact_phone=phone, banks=chosen,
                    recommend_for_me=form.recommend_for_me, consent=True, kind=form.kind, extra=form.extra)
