"""Recorded crime beside residents' concerns: areas' LSOAs and police.uk counts (no rows kept)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db


class AreaLsoa(db.Model):
    """An LSOA (Lower layer Super Output Area) that lies in an area; an LSOA is in one area."""

    __tablename__ = "area_lsoas"

    lsoa: Mapped[str] = mapped_column(String(16), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)


class CrimeCount(db.Model):
    """Recorded crimes (and anti-social behaviour) of one force's file in an area and month."""

    __tablename__ = "crime_counts"
    __table_args__ = (Index("ix_crime_counts_area_month", "area", "month"),)

    force: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    area: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class CrimeImport(db.Model):
    """The last import of one (force, month): what it held, when, from which file."""

    __tablename__ = "crime_imports"

    force: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(300), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
