"""Volunteer registry: tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from domain.volunteers.model import VolunteerStatus
from persistence.base import one_of


def _tz() -> DateTime:
    return DateTime(timezone=True)


class VolunteerRow(SQLModel, table=True):
    __tablename__ = "volunteers"
    __table_args__ = (
        CheckConstraint(one_of("status", VolunteerStatus), name="status_known"),
        CheckConstraint(
            "national_id_last4 IS NULL OR national_id_last4 ~ '^[0-9]{4}$'",
            name="national_id_last4_digits",
        ),
        CheckConstraint("trainings_count >= 0", name="trainings_count_positive"),
        Index("ix_volunteers_created_at_id", text("created_at DESC"), text("id DESC")),
        Index("ix_volunteers_national_id_hash", "national_id_hash"),
        Index(
            "ix_volunteers_province_code_created_at_id",
            "province_code",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_volunteers_status_created_at_id",
            "status",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_volunteers_trained_created_at_id",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("trainings_count > 0"),
        ),
        Index(
            "ix_volunteers_untrained_created_at_id",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("trainings_count = 0"),
        ),
        Index(
            "ix_volunteers_full_name_th_trgm",
            "full_name_th",
            postgresql_using="gin",
            postgresql_ops={"full_name_th": "gin_trgm_ops"},
        ),
        Index(
            "ix_volunteers_full_name_en_trgm",
            "full_name_en",
            postgresql_using="gin",
            postgresql_ops={"full_name_en": "gin_trgm_ops"},
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    full_name_th: str = Field(sa_column=Column(String(200), nullable=False))
    full_name_en: str | None = Field(default=None, sa_column=Column(String(200)))
    #: Not unique: a second application with a registered ID is kept and flagged
    #: (`duplicate_of`), so that the public form cannot tell whether an ID is registered.
    national_id_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    #: The hash key the national ID's hash was made under (NULL: the single earlier key).
    national_id_hash_kid: str | None = Field(default=None, sa_column=Column(String(32)))
    national_id_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    national_id_kid: str | None = Field(default=None, sa_column=Column(String(32)))
    national_id_last4: str | None = Field(default=None, sa_column=Column(String(4)))
    personal_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    personal_kid: str | None = Field(default=None, sa_column=Column(String(32)))
    province_code: str = Field(
        sa_column=Column(String(2), ForeignKey("provinces.code"), nullable=False)
    )
    district: str | None = Field(default=None, sa_column=Column(String(100)))
    occupation: str | None = Field(default=None, sa_column=Column(String(200)))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    trainings_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    applied_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    approved_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    approved_by: uuid.UUID | None = None
    pledged_on: date | None = Field(default=None, sa_column=Column(Date))
    account_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("accounts.id"), unique=True)
    )
    activation_code_hash: str | None = Field(
        default=None, sa_column=Column(String(64), unique=True)
    )
    activation_expires_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    erased_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    duplicate_of: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("volunteers.id"))
    )
    created_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))


class VolunteerTrainingRow(SQLModel, table=True):
    __tablename__ = "volunteer_trainings"
    __table_args__ = (UniqueConstraint("volunteer_id", "position"),)

    id: uuid.UUID = Field(primary_key=True)
    volunteer_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("volunteers.id"), nullable=False, index=True)
    )
    position: int = Field(sa_column=Column(Integer, nullable=False))
    course_title: str = Field(sa_column=Column(String(300), nullable=False))
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    hours: int = Field(sa_column=Column(Integer, nullable=False))
    certificate_number: str | None = Field(default=None, sa_column=Column(String(100)))
    organiser: str | None = Field(default=None, sa_column=Column(String(300)))
    recorded_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    recorded_by: uuid.UUID


class VolunteerStatusRow(SQLModel, table=True):
    __tablename__ = "volunteer_status_history"
    __table_args__ = (
        UniqueConstraint("volunteer_id", "position"),
        CheckConstraint(one_of("to_status", VolunteerStatus), name="to_status_known"),
    )

    id: uuid.UUID = Field(primary_key=True)
    volunteer_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("volunteers.id"), nullable=False, index=True)
    )
    position: int = Field(sa_column=Column(Integer, nullable=False))
    from_status: str | None = Field(default=None, sa_column=Column(String(16)))
    to_status: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    actor_id: str = Field(sa_column=Column(String(64), nullable=False))
    at: datetime = Field(sa_column=Column(_tz(), nullable=False))
