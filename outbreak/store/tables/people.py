"""People: pseudonymous keys, encrypted contact details, never a raw identifier."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, Timestamps

# Columns holding personal data (rule 17): encrypted, and never leave the system
# except through an allowlisted schema to an authorised, audited caller.
PERSONAL_COLUMNS = ("name_enc", "phone_enc", "address_enc", "birth_year", "sex")


class PersonRow(Timestamps, Base):
    """A person known to the system: a case, a contact, or both."""

    __tablename__ = "person"

    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    district_code: Mapped[str] = mapped_column(
        sa.ForeignKey("district.code"), index=True
    )
    birth_year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    name_enc: Mapped[str | None] = mapped_column(sa.Text)
    phone_enc: Mapped[str | None] = mapped_column(sa.Text)
    address_enc: Mapped[str | None] = mapped_column(sa.Text)
    purge_after: Mapped[date | None] = mapped_column(sa.Date, index=True)

    __table_args__ = (
        sa.CheckConstraint("sex IN ('F', 'M', 'X')", name="sex"),
        sa.CheckConstraint("birth_year BETWEEN 1880 AND 2100", name="birth_year"),
    )
