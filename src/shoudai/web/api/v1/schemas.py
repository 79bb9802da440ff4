"""Pydantic models of the needs part of the bank API (request and answer shapes, with examples for the docs)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

from fastapi import Body
from pydantic import BaseModel, Field, StringConstraints

from shoudai.lending import sla

# No control characters (PostgreSQL refuses NUL in text), bounded to the columns they land in.
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
ShortText = Annotated[str, StringConstraints(max_length=300, pattern=NO_CONTROL)]
Condition = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]

DeclineReason = Enum("DeclineReason", {k: k for k in sla.DECLINE_REASONS}, type=str)
DECLINE_HELP = "拒绝原因代码：" + "；".join(f"{k}={v}" for k, v in sla.DECLINE_REASONS.items())
Stage = Enum("Stage", {s: s for s in sla.STAGES}, type=str)


class TrackOut(BaseModel):
    """One need as pushed to this bank (one 'track' of the 211 workflow); no personal data."""

    id: int = Field(description="对接记录编号（后续操作用它）", examples=[1024])
    need_ref: str = Field(description="需求编号（企业看到的）", examples=["XQ7K2M9P4RTA"])
    stage: Stage = Field(description="阶段：pushed 待反馈，intent 已反馈意向，claimed 企业称已满足条件，"
                                     "conditions_met 条件已满足，accepted 已受理，approved 已审批，disbursed 已放款，"
                                     "declined 已拒绝，withdrawn 企业撤回，rerouted 已转办")
    stage_text: str = Field(examples=["已推送至工商银行，银行将于 2026-03-04 23:59 前反馈初步意向"])
    uscc: str = Field(examples=["92410782MA0000001X"])
    name: str = Field(examples=["辉县市测试商行"])
    county_code: str | None = Field(examples=["410782"])
    kind: str = Field(description="first_loan 首贷 | renewal 续贷", examples=["first_loan"])
    amount_wan: str = Field(description="需求金额（万元）", examples=["50.00"])
    term_months: int = Field(examples=[12])
    purpose: str = Field(examples=["进货周转"])
    guarantee: str = Field(examples=["credit"])
    identity_level: int = Field(description="身份核验等级", examples=[2])
    routed_by: str = Field(description="chosen 企业选择 | recommended 平台推荐 | rerouted 转办", examples=["chosen"])
    pushed_at: datetime
    due_at: datetime | None = Field(description="当前时钟的截止时间（无运行中的时钟时为空）")
    due_provisional: bool = Field(description="截止日按未发布的年度日历暂定")
    breached_clocks: list[str] = Field(description="已逾期的时钟：answer | accept | decide", examples=[[]])
    conditions: list[str] = Field(description="授信条件清单", examples=[["提供近6个月银行流水"]])
    decline_reason: str | None = Field(examples=[None])
    disbursed_amount_wan: str | None = Field(examples=[None])
    disbursed_on: date | None = None
    contract_no: str | None = None
    consent_withdrawn: bool = Field(description="企业已撤回授权：停止使用并删除所获取的企业信息")
    updated_at: datetime


class EventOut(BaseModel):
    kind: str = Field(examples=["pushed"])
    at: datetime


class TrackDetailOut(TrackOut):
    """One need in full: the contact is masked as for a bank HQ user, and only while the consent names this bank."""

    contact_name: str | None = Field(examples=["王*"])
    contact_phone: str | None = Field(examples=["138****8000"])
    consent_banks: list[str] = Field(examples=[["ICBC", "PSBC"]])
    events: list[EventOut]


class TrackPage(BaseModel):
    """A page of the pull feed: pass `next_cursor` back as `cursor`; while `has_more`, ask again at once, otherwise
    keep the cursor and poll with it later to get only what changed since."""

    items: list[TrackOut]
    next_cursor: str | None = Field(description="本页之后的位置（无数据且未传 cursor 时为空）",
                                    examples=["MjAyNi0wMy0wMlQwMTowMDowMCswMDowMHwxMDI0"])
    has_more: bool = Field(description="是否还有下一页", examples=[False])


class AnswerIn(BaseModel):
    """Initial intent with the credit conditions checklist (may be empty: no conditions)."""

    conditions: list[Condition] = Field(default_factory=list, max_length=30,
                                        examples=[["提供近6个月银行流水", "提供纳税证明"]])


class DeclineIn(BaseModel):
    reason: DeclineReason = Field(description=DECLINE_HELP, examples=["no_cash_flow"])
    note: ShortText = Field(default="", examples=["近半年流水不足以覆盖月供"])


class RejectClaimIn(BaseModel):
    """The business said the conditions are met, the bank finds they are not yet: back to intent, with a note."""

    note: ShortText = Field(default="", examples=["纳税证明未提供"])


class DecideIn(BaseModel):
    """The decision after acceptance: approved, or declined with a reason code."""

    approved: bool = Field(examples=[True])
    reason: DeclineReason | None = Field(default=None, description="拒绝时必填。" + DECLINE_HELP)
    note: ShortText = ""


class DisburseIn(BaseModel):
    amount_wan: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="放款金额（万元，两位小数）",
                                examples=["45.50"])
    disbursed_on: date = Field(description="放款日", examples=["2026-03-12"])
    contract_no: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROL)] = Field(
        examples=["HX-2026-0001"])


class RevealIn(BaseModel):
    purpose: Annotated[str, StringConstraints(min_length=4, max_length=200, pattern=NO_CONTROL)] = Field(
        description="查看用途（至少 4 个字，记入审计）", examples=["电话联系企业核实经营情况"])


class NeedContactOut(BaseModel):
    """The contact in full (the view is audited with its purpose)."""

    contact_name: str | None = Field(examples=["王小明"])
    contact_phone: str | None = Field(examples=["13800138000"])


class EmptyIn(BaseModel):
    """No fields: send {} (or no body)."""


NoBody = Annotated[EmptyIn | None, Body(description="无字段，可发送 {} 或空请求体")]
