"""Scope (X1): what part of the city a user may see. Services filter their queries with it, never templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, false, true

from shoudai.accounts import roles


class ScopeError(ValueError):
    """A role was given a scope it cannot have (e.g. a county officer without a county)."""


def parse_codes(raw: str | None) -> tuple[str, ...]:
    """'410702, 410703' → ('410702', '410703'): sorted, unique, blanks dropped."""
    return tuple(sorted({c.strip() for c in (raw or "").replace("，", ",").split(",") if c.strip()}))


@dataclass(frozen=True)
class Scope:
    """The role plus the counties / bank / branch / enterprise a user is limited to.

    For bank roles `county_codes` is the bank's service area for list push (empty: the whole city).
    """

    role: str
    county_codes: tuple[str, ...] = ()
    bank_code: str | None = None
    branch_code: str | None = None
    enterprise_uscc: str | None = None
    user_id: int | None = None
    username: str | None = None

    @property
    def is_city(self) -> bool:
        return self.role == roles.CITY_ADMIN

    def allows_county(self, code: str | None) -> bool:
        """May this user see data of county `code`?"""
        if self.is_city:
            return True
        if self.role == roles.COUNTY_OFFICER:
            return code in self.county_codes
        if self.role in (roles.BANK_HQ, roles.LOAN_OFFICER):
            return not self.county_codes or code in self.county_codes
        return False

    def allows_bank(self, bank_code: str | None) -> bool:
        """May this user see data of bank `bank_code`?"""
        if self.is_city:
            return True
        return self.role in (roles.BANK_HQ, roles.LOAN_OFFICER) and bank_code == self.bank_code

    def allows_enterprise(self, uscc: str | None) -> bool:
        """An enterprise user sees only itself; staff scopes are checked by county/bank instead."""
        return self.role == roles.ENTERPRISE and uscc is not None and uscc == self.enterprise_uscc

    # Query filters: `select(...).where(scope.county_filter(ListEntry.county_code))`.
    def county_filter(self, column) -> ColumnElement[bool]:
        """A WHERE clause limiting `column` (a county code) to this scope."""
        if self.is_city:
            return true()
        if self.role == roles.COUNTY_OFFICER:
            return column.in_(self.county_codes) if self.county_codes else false()
        if self.role in (roles.BANK_HQ, roles.LOAN_OFFICER):
            return column.in_(self.county_codes) if self.county_codes else true()
        return false()

    def bank_filter(self, column) -> ColumnElement[bool]:
        """A WHERE clause limiting `column` (a bank code) to this user's bank."""
        if self.is_city:
            return true()
        if self.role in (roles.BANK_HQ, roles.LOAN_OFFICER) and self.bank_code:
            return column == self.bank_code
        return false()

    def branch_filter(self, column) -> ColumnElement[bool]:
        """A WHERE clause limiting `column` (a branch code): a loan officer to its branch, a bank HQ to its bank's rows."""
        if self.is_city or self.role == roles.BANK_HQ:
            return true()
        if self.role == roles.LOAN_OFFICER and self.branch_code:
            return column == self.branch_code
        return false()

    def assignee_filter(self, column) -> ColumnElement[bool]:
        """A WHERE clause on `column` (the assigned user's id): a loan officer sees only its own assignments."""
        if self.role == roles.LOAN_OFFICER:
            return column == self.user_id if self.user_id is not None else false()
        if self.role in (roles.CITY_ADMIN, roles.BANK_HQ):
            return true()
        return false()

    def enterprise_filter(self, column) -> ColumnElement[bool]:
        """A WHERE clause limiting `column` (a USCC) to the enterprise itself (staff: no limit here)."""
        if self.role == roles.ENTERPRISE:
            return column == self.enterprise_uscc if self.enterprise_uscc else false()
        return true()


@dataclass(frozen=True)
class ScopeSpec:
    """Raw scope fields as an admin enters them; `validated` checks them against the role."""

    county_codes: tuple[str, ...] = field(default_factory=tuple)
    bank_code: str | None = None
    branch_code: str | None = None
    enterprise_uscc: str | None = None

    def validated(self, role: str) -> ScopeSpec:
        """The fields this role keeps (others cleared); raises ScopeError when a required one is missing."""
        if role not in roles.ROLES:
            raise ScopeError(f"unknown role {role!r}")
        bank = (self.bank_code or "").strip() or None
        branch = (self.branch_code or "").strip() or None
        uscc = (self.enterprise_uscc or "").strip().upper() or None
        counties = tuple(c for c in self.county_codes if c)
        for c in counties:
            if not (len(c) == 6 and c.isdigit()):
                raise ScopeError(f"县区代码应为6位数字: {c}")
        if role == roles.CITY_ADMIN:
            return ScopeSpec()
        if role == roles.COUNTY_OFFICER:
            if not counties:
                raise ScopeError("县区用户至少需要一个县区代码")
            return ScopeSpec(county_codes=counties)
        if role == roles.BANK_HQ:
            if not bank:
                raise ScopeError("银行用户需要银行代码")
            return ScopeSpec(county_codes=counties, bank_code=bank)
        if role == roles.LOAN_OFFICER:
            if not (bank and branch):
                raise ScopeError("客户经理需要银行代码和网点代码")
            return ScopeSpec(county_codes=counties, bank_code=bank, branch_code=branch)
        if role == roles.ENTERPRISE:
            if not uscc or len(uscc) != 18:
                raise ScopeError("企业用户需要18位统一社会信用代码")
            return ScopeSpec(enterprise_uscc=uscc)
        return ScopeSpec(county_codes=counties)  # centre clerk: optional counties of its window
