"""Loan-code channels (Q1): where a code hangs, its QR code (PNG, SVG) and a printable A4 poster in Chinese."""

from __future__ import annotations

import base64
import html
import io
import re
from datetime import datetime

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.config import get_settings
from shoudai.kit.ttlcache import TtlCache
from shoudai.lending.common import Actorish, LendingError, NotFound, actor_name, audit, now_utc
from shoudai.lending.models import Channel
from shoudai.reference.loaders import banks, division_names

LANDING_PATH = "/q/"  # the web layer serves the need form at <base>/q/<channel code>

KINDS = {
    "market_regulation_window": "市场监管登记窗口",
    "tax_hall": "税务办税服务厅",
    "gov_service_centre": "政务服务中心",
    "bank_branch": "银行网点",
    "first_loan_centre": "首贷续贷服务中心",
    "poster_campaign": "宣传海报",
}
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,31}$")


def public_base_url() -> str:
    """The address people reach the platform at (SHOUDAI_PUBLIC_BASE_URL), without a trailing slash."""
    return get_settings().public_base_url.rstrip("/")


def channel_url(code: str, base_url: str | None = None) -> str:
    """The URL a channel's QR code points at."""
    return f"{(base_url or public_base_url()).rstrip('/')}{LANDING_PATH}{code}"


def create_channel(session: Session, *, code: str, name: str, kind: str, county_code: str | None = None,
                   bank_code: str | None = None, actor: Actorish, now: datetime | None = None) -> Channel:
    """Register a channel; the code becomes part of its QR URL and cannot be reused."""
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise LendingError("bad_code", "渠道编码须为 3–32 位小写字母、数字或连字符")
    if kind not in KINDS:
        raise LendingError("bad_kind", f"渠道类型无效，应为 {', '.join(KINDS)}")
    if not (name or "").strip():
        raise LendingError("bad_name", "渠道名称不能为空")
    if county_code and county_code not in division_names():
        raise LendingError("bad_county", f"区县代码 {county_code} 不在本市行政区划内")
    if bank_code and bank_code not in {b.code for b in banks()}:
        raise LendingError("bad_bank", f"银行代码 {bank_code} 未登记")
    if kind == "bank_branch" and not bank_code:
        raise LendingError("bank_required", "银行网点渠道须指定银行")
    if session.scalar(select(Channel.id).where(Channel.code == code)) is not None:
        raise LendingError("duplicate", f"渠道编码 {code} 已存在")
    ch = Channel(code=code, name=name.strip()[:100], kind=kind, county_code=county_code or None,
                 bank_code=bank_code or None, active=True, created_at=now_utc(now), created_by=actor_name(actor))
    session.add(ch)
    session.flush()
    audit(session, actor, "lending.channel_created", object_type="lending_channel", object_id=ch.code, at=ch.created_at,
          detail={"kind": kind, "county": county_code, "bank": bank_code})
    return ch


def get_channel(session: Session, code: str) -> Channel:
    """The active channel with this code (NotFound otherwise)."""
    ch = session.scalar(select(Channel).where(Channel.code == (code or "").strip().lower()))
    if ch is None or not ch.active:
        raise NotFound(f"渠道 {code}")
    return ch


def _load_active(session: Session, code) -> Channel | None:
    row = session.execute(select(*Channel.__table__.c).where(Channel.code == code, Channel.active.is_(True))).first()
    return None if row is None else Channel(**row._mapping)  # a detached copy: safe to share between sessions


_ACTIVE = TtlCache(30, _load_active)


def cached_channel(session: Session, code: str) -> Channel:
    """`get_channel` for the public submission, kept 30 s per database (channels are made once and never switched
    off by the platform; an edit in the database applies within 30 s). Treat the result as read-only."""
    ch = _ACTIVE.get(session, (code or "").strip().lower())
    if ch is None:
        raise NotFound(f"渠道 {code}")
    return ch


def list_channels(session: Session, *, county_code: str | None = None) -> list[Channel]:
    """Channels by code, optionally of one county."""
    stmt = select(Channel).order_by(Channel.code)
    if county_code:
        stmt = stmt.where(Channel.county_code == county_code)
    return list(session.scalars(stmt))


def qr(code: str, base_url: str | None = None) -> segno.QRCode:
    """The QR code for a channel (error correction M: survives a little dirt on a printed poster)."""
    return segno.make(channel_url(code, base_url), error="m", micro=False)


def qr_png(code: str, *, scale: int = 10, base_url: str | None = None) -> bytes:
    buf = io.BytesIO()
    qr(code, base_url).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def qr_svg(code: str, *, scale: int = 10, base_url: str | None = None) -> bytes:
    buf = io.BytesIO()
    qr(code, base_url).save(buf, kind="svg", scale=scale, border=4, xmldecl=False, title="新享贷款码")
    return buf.getvalue()


POSTER_TITLE = "新享贷款码"
POSTER_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; color: #1f2d3d; text-align: center; }
h1 { font-size: 44pt; color: #b71c1c; margin: 6mm 0 2mm; letter-spacing: 4pt; }
.sub { font-size: 18pt; margin: 0 0 8mm; }
.qr img { width: 95mm; height: 95mm; }
.where { font-size: 14pt; margin: 4mm 0 8mm; color: #455a64; }
ol { text-align: left; font-size: 13pt; line-height: 1.7; margin: 0 12mm; }
.note { font-size: 10pt; color: #607d8b; margin-top: 10mm; text-align: left; }
.foot { font-size: 10pt; color: #90a4ae; margin-top: 6mm; }
"""


def poster_html(channel: Channel, base_url: str | None = None) -> str:
    """The poster as HTML (printed by WeasyPrint); everything a business needs, in Chinese."""
    img = base64.b64encode(qr_png(channel.code, scale=12, base_url=base_url)).decode()
    county = division_names().get(channel.county_code or "", "新乡市")
    e = html.escape
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{POSTER_TITLE}</title>
<style>{POSTER_CSS}</style></head><body>
<h1>{POSTER_TITLE}</h1>
<p class="sub">首次贷款 · 扫码填报融资需求</p>
<div class="qr"><img src="data:image/png;base64,{img}" alt="二维码"></div>
<p class="where">{e(county)} · {e(channel.name)}（{e(KINDS.get(channel.kind, channel.kind))}，编码 {e(channel.code)}）</p>
<ol>
<li>微信扫一扫，填写统一社会信用代码、需求金额、期限和用途，选择 1–3 家银行或“为我推荐”。</li>
<li>手机验证码核验身份后，需求实时推送至您选择的银行。</li>
<li>银行 <b>2 个工作日</b>内反馈初步意向和授信条件；条件满足后 <b>1 个工作日</b>内正式受理，
<b>1 个工作日</b>内作出审批决定（“211”首贷服务模式）。</li>
<li>办理进度短信通知，可随时查询、评价、投诉，也可撤回授权。</li>
</ol>
<p class="note">您的信息仅在您的授权范围内提供给您选择的银行，用于办理融资；可随时撤回授权。</p>
<p class="foot">新乡智慧金融服务平台 · 新乡市首贷续贷服务中心</p>
</body></html>"""


def poster_pdf(channel: Channel, base_url: str | None = None) -> bytes:
    """A printable A4 poster PDF with the channel's QR code (Chinese fonts from Debian's fonts-noto-cjk)."""
    from weasyprint import HTML  # imported lazily: it loads pango, which the rest of the domain does not need

    return HTML(string=poster_html(channel, base_url)).write_pdf()
