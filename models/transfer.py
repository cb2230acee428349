"""Working together (order 4.3): a message the Directorate sent to a municipality, and what came of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.case import Case
from models.org import Tenant


class CaseTransfer(Base):
    """The oblast's case sent to a municipality, where it became a case of its own; returned when not its competence."""

    __tablename__ = "case_transfer"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)  # the oblast's case
    municipality_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    municipal_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), unique=True)
    sent_at: Mapped[datetime] = mapped_column(index=True)  # the overview lists the latest
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str | None] = mapped_column(Text)  # the oblast curator's words to the municipality
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)
    municipality: Mapped[Tenant] = relationship(lazy="joined", viewonly=True)
    municipal_case: Mapped[Case] = relationship(foreign_keys=[municipal_case_id], viewonly=True)
