"""The admin-editable calendar table that extends and overrides chinese-calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base


class CalendarDay(Base):
    """A day whose kind the State Council arrangement fixes: a holiday, or an adjusted working day (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    name: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(100))  # file name, or 'admin'
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
