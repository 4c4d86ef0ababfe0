from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _p
from sqlalchemy import DDL, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.web import StateMachine


class OrgState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# The one place that says which changes of state are allowed.
ORG_TRANSITIONS = {
    OrgState.PENDING: {OrgState.APPROVED, OrgState.REJECTED},
    OrgState.REJECTED: {OrgState.PENDING},  # the leader corrects it and sends it again
    OrgState.APPROVED: set(),
}

ORG_STATE_LABELS = {
    OrgState.PENDING: _l("Waiting for approval"),
    OrgState.APPROVED: _l("Approved"),
    OrgState.REJECTED: _l("Not approved"),
}


class RejectReason(StrEnum):
    """Standard reasons, so that the leader reads them in her own language."""
    INCOMPLETE = "incomplete"
    DUPLICATE = "duplicate"
    NOT_MIGRANT = "not_migrant"
    UNREACHABLE = "unreachable"
    OTHER = "other"


REJECT_REASON_LABELS = {
    RejectReason.INCOMPLETE: _l("Some information is missing or unclear"),
    RejectReason.DUPLICATE: _l("This organisation is already registered"),
    RejectReason.NOT_MIGRANT: _l("This is not a migrant workers' organisation"),
    RejectReason.UNREACHABLE: _l("We could not reach the contact person"),
    RejectReason.OTHER: _l("Please contact the Mission"),
}

# Thai, Nepali, Filipino... name both a community and a language: each list has its own message context,
# so that each reads right ("orang Nepal", "bahasa Nepal").
COMMUNITIES = {
    "filipino": _p("community", "Filipino"),
    "indonesian": _p("community", "Indonesian"),
    "nepali": _p("community", "Nepali"),
    "thai": _p("community", "Thai"),
    "sri_lankan": _p("community", "Sri Lankan"),
    "indian": _p("community", "Indian"),
    "pakistani": _p("community", "Pakistani"),
    "mixed": _p("community", "Mixed"),
}

ORG_LANGUAGES = {
    "en": _p("language", "English"),
    "fil": _p("language", "Filipino / Tagalog"),
    "id": _p("language", "Bahasa Indonesia"),
    "ne": _p("language", "Nepali"),
    "th": _p("language", "Thai"),
    "si": _p("language", "Sinhala"),
    "zh": _p("language", "Chinese"),
}

DISTRICTS = {
    "central_western": _l("Central and Western"),
    "wan_chai": _l("Wan Chai"),
    "eastern": _l("Eastern"),
    "southern": _l("Southern"),
    "yau_tsim_mong": _l("Yau Tsim Mong"),
    "sham_shui_po": _l("Sham Shui Po"),
    "kowloon_city": _l("Kowloon City"),
    "wong_tai_sin": _l("Wong Tai Sin"),
    "kwun_tong": _l("Kwun Tong"),
    "kwai_tsing": _l("Kwai Tsing"),
    "tsuen_wan": _l("Tsuen Wan"),
    "tuen_mun": _l("Tuen Mun"),
    "yuen_long": _l("Yuen Long"),
    "north": _l("North"),
    "tai_po": _l("Tai Po"),
    "sha_tin": _l("Sha Tin"),
    "sai_kung": _l("Sai Kung"),
    "islands": _l("Islands"),
}


class MemberRole(StrEnum):
    MEMBER = "member"
    COLEADER = "coleader"
    LEADER = "leader"


MEMBER_ROLE_LABELS = {
    MemberRole.MEMBER: _l("Member"),
    MemberRole.COLEADER: _l("Co-leader"),
    MemberRole.LEADER: _l("Leader"),
}


class MemberState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REMOVED = "removed"


MEMBER_TRANSITIONS = {
    MemberState.PENDING: {MemberState.ACTIVE, MemberState.REMOVED},
    MemberState.ACTIVE: {MemberState.REMOVED},
    MemberState.REMOVED: {MemberState.PENDING},  # joins again with the code
}


class Organisation(StateMachine, db.Model):
    __tablename__ = "organisations"
    __table_args__ = (Index("ix_organisations_state_created", "state", "created_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), index=True)
    # A new name an approved organisation's leader asked for: shown nowhere but to her and the Mission until
    # the Mission approves it (a name is what members and other organisations trust).
    pending_name: Mapped[str | None] = mapped_column(String(150))
    community: Mapped[str] = mapped_column(String(20))
    languages: Mapped[str] = mapped_column(String(100))  # codes separated by commas
    district: Mapped[str] = mapped_column(String(30))
    meeting_place: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    membership_size: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default=OrgState.PENDING, index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(20))
    reject_note: Mapped[str | None] = mapped_column(String(500))
    join_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    created_by = relationship("User", lazy="joined")
    memberships = relationship("Membership", back_populates="organisation", lazy="select")

    __mapper_args__ = {"version_id_col": version}

    TRANSITIONS = ORG_TRANSITIONS

    @property
    def state_label(self):
        return ORG_STATE_LABELS[OrgState(self.state)]

    @property
    def language_list(self) -> list[str]:
        return [c for c in self.languages.split(",") if c]

    @property
    def reject_reason_label(self):
        return REJECT_REASON_LABELS.get(self.reject_reason) if self.reject_reason else None


# Staff search organisations by any part of the name (`lower(name) LIKE '%term%'`, portal/staff/queries.py)
# and registration refuses a name already taken (`lower(name) = …`). On PostgreSQL a trigram index serves
# the search (and, from PostgreSQL 14, the equality); pg_trgm is a trusted extension that a role with CREATE
# on the database may make (migration 0007 falls back to an ordinary index, with a warning, where it cannot).
# Elsewhere it is an ordinary index on lower(name), which serves the equality.
Index("ix_organisations_name_lower", func.lower(Organisation.name).label("name_lower"),
      postgresql_using="gin", postgresql_ops={"name_lower": "gin_trgm_ops"})
event.listen(db.metadata, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class Membership(StateMachine, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=MemberRole.MEMBER)
    state: Mapped[str] = mapped_column(String(20), default=MemberState.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation", back_populates="memberships", lazy="joined")
    user = relationship("User", back_populates="memberships", lazy="joined")

    TRANSITIONS = MEMBER_TRANSITIONS

    @property
    def role_label(self):
        return MEMBER_ROLE_LABELS[MemberRole(self.role)]

    @property
    def is_manager(self) -> bool:
        return self.state == MemberState.ACTIVE and self.role in (MemberRole.LEADER, MemberRole.COLEADER)
