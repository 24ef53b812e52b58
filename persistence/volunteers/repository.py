"""Volunteers: tables and repository.

At rest, the national ID is a keyed hash (look-up, duplicate flagging), an AES-GCM ciphertext
bound to the row (`volunteer:<id>:national_id`) and its last four digits for masking; the
date of birth, phone and email are sealed together (`volunteer:<id>:personal`). Names,
district and occupation stay readable: the names are searched with trigrams, and none of
these is the protected identifier. Activation codes are stored only as keyed hashes.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    func,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.pagination import Cursor, PageRequest
from domain.volunteers.model import StatusChange, Training, Volunteer, VolunteerStatus
from domain.volunteers.ports import VolunteerFilter, VolunteerSummary
from persistence.crypto import KeyedHashColumn, KeyRing, Sealed, SealedColumn, hash_matches
from persistence.driver import Params, driver_connection
from persistence.volunteers.tables import VolunteerRow, VolunteerStatusRow, VolunteerTrainingRow

NATIONAL_ID_PURPOSE = "national_id"
ACTIVATION_PURPOSE = "volunteer_activation"


_NATIONAL_ID = SealedColumn(
    "volunteers",
    "national_id_sealed",
    lambda row: f"volunteer:{row.id}:national_id",
    kid_column="national_id_kid",
)

#: Every sealed column of the feature, for key rotation (persistence/keys).
SEALED = (
    _NATIONAL_ID,
    SealedColumn(
        "volunteers",
        "personal_sealed",
        lambda row: f"volunteer:{row.id}:personal",
        kid_column="personal_kid",
    ),
)

#: The national ID's keyed hash is re-made from the sealed ID. Activation codes (kept
#: only as hashes, for 14 days) are looked up under every listed key until they expire.
KEYED_HASHES = (
    KeyedHashColumn(
        "volunteers", "national_id_hash", "national_id_hash_kid", NATIONAL_ID_PURPOSE, _NATIONAL_ID
    ),
)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- rows <-> entities (the only place that knows both) -----------------------------------
# Encryption at the boundary: the national ID and the personal fields are sealed and
# opened here. The activation code is not part of the entity (see store_activation_code).


def _to_entity(
    keyring: KeyRing,
    row: VolunteerRow,
    trainings: list[VolunteerTrainingRow],
    history: list[VolunteerStatusRow],
) -> Volunteer:
    nid: str | None = None
    if row.national_id_sealed is not None and row.national_id_kid is not None:
        nid = keyring.open(
            Sealed(row.national_id_kid, row.national_id_sealed),
            aad=f"volunteer:{row.id}:national_id",
        )
    personal: dict[str, str | None] = {}
    if row.personal_sealed is not None and row.personal_kid is not None:
        personal = json.loads(
            keyring.open(
                Sealed(row.personal_kid, row.personal_sealed),
                aad=f"volunteer:{row.id}:personal",
            )
        )
    born = personal.get("date_of_birth")
    return Volunteer(
        id=row.id,
        full_name_th=row.full_name_th,
        full_name_en=row.full_name_en,
        national_id=nid,
        date_of_birth=date.fromisoformat(born) if born else None,
        phone=personal.get("phone"),
        email=personal.get("email"),
        province_code=row.province_code,
        district=row.district,
        occupation=row.occupation,
        status=VolunteerStatus(row.status),
        applied_at=row.applied_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        approved_at=row.approved_at,
        approved_by=row.approved_by,
        pledged_on=row.pledged_on,
        account_id=row.account_id,
        erased_at=row.erased_at,
        duplicate_of=row.duplicate_of,
        trainings=[_training_to_entity(t) for t in trainings],
        history=[_status_to_entity(h) for h in history],
    )


def _to_row(
    keyring: KeyRing, volunteer: Volunteer, into: VolunteerRow | None = None
) -> VolunteerRow:
    """A new row for the volunteer, or `into` brought up to date with it (trainings and
    history are rows of their own: see _training_to_row and _status_to_row)."""
    row = into
    if row is None:
        row = VolunteerRow(
            id=volunteer.id,
            full_name_th=volunteer.full_name_th,
            province_code=volunteer.province_code,
            status=volunteer.status.value,
            applied_at=volunteer.applied_at,
            created_at=volunteer.created_at,
            updated_at=volunteer.updated_at,
        )
    row.full_name_th = volunteer.full_name_th
    row.full_name_en = volunteer.full_name_en
    row.province_code = volunteer.province_code
    row.district = volunteer.district
    row.occupation = volunteer.occupation
    row.applied_at = volunteer.applied_at
    row.approved_at = volunteer.approved_at
    row.approved_by = volunteer.approved_by
    row.pledged_on = volunteer.pledged_on
    row.account_id = volunteer.account_id
    row.erased_at = volunteer.erased_at
    row.duplicate_of = volunteer.duplicate_of
    row.created_at = volunteer.created_at
    row.updated_at = volunteer.updated_at
    row.version = volunteer.version
    row.status = volunteer.status.value
    row.trainings_count = len(volunteer.trainings)

    nid = volunteer.national_id
    if nid is None:
        row.national_id_hash = row.national_id_sealed = row.national_id_kid = None
        row.national_id_hash_kid = row.national_id_last4 = None
    else:
        sealed = keyring.seal(nid, aad=f"volunteer:{volunteer.id}:national_id")
        row.national_id_hash = keyring.keyed_hash(nid, purpose=NATIONAL_ID_PURPOSE)
        row.national_id_hash_kid = keyring.hash_kid
        row.national_id_sealed, row.national_id_kid = sealed.blob, sealed.kid
        row.national_id_last4 = nid[-4:]
    personal = {
        "date_of_birth": volunteer.date_of_birth.isoformat() if volunteer.date_of_birth else None,
        "phone": volunteer.phone,
        "email": volunteer.email,
    }
    if not any(personal.values()):
        row.personal_sealed = row.personal_kid = None
    else:
        sealed = keyring.seal(
            json.dumps(personal, sort_keys=True), aad=f"volunteer:{volunteer.id}:personal"
        )
        row.personal_sealed, row.personal_kid = sealed.blob, sealed.kid
    return row


_SUMMARY_COLUMNS = (
    "id, full_name_th, full_name_en, province_code, district, status, trainings_count,"
    " applied_at, created_at, duplicate_of"
)


#: Volunteer statuses by stored value (a dict look-up; calling the enum costs ten times more).
_STATUSES = {member.value: member for member in VolunteerStatus}


def _summary_of_record(r: Any) -> VolunteerSummary:
    """A list item from a driver record of `_SUMMARY_COLUMNS`, by position (a search maps
    up to a page of them per request; the attribute view cost more than the mapping)."""
    return VolunteerSummary(
        id=r[0],
        full_name_th=r[1],
        full_name_en=r[2],
        province_code=r[3],
        district=r[4],
        status=_STATUSES[r[5]],
        trained=r[6] > 0,
        applied_at=r[7],
        created_at=r[8],
        possible_duplicate=r[9] is not None,
    )


def _training_to_entity(row: VolunteerTrainingRow) -> Training:
    return Training(
        id=row.id,
        course_title=row.course_title,
        held_on=row.held_on,
        hours=row.hours,
        certificate_number=row.certificate_number,
        organiser=row.organiser,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _training_to_row(
    training: Training,
    *,
    volunteer_id: uuid.UUID,
    position: int,
    into: VolunteerTrainingRow | None = None,
) -> VolunteerTrainingRow:
    """A new row for the training, or `into` with the fields a training may change."""
    row = into
    if row is None:
        row = VolunteerTrainingRow(
            id=training.id,
            volunteer_id=volunteer_id,
            position=position,
            course_title=training.course_title,
            held_on=training.held_on,
            hours=training.hours,
            recorded_at=training.recorded_at,
            recorded_by=training.recorded_by,
        )
    row.certificate_number = training.certificate_number
    row.organiser = training.organiser
    return row


def _status_to_entity(row: VolunteerStatusRow) -> StatusChange:
    return StatusChange(
        id=row.id,
        from_status=VolunteerStatus(row.from_status) if row.from_status else None,
        to_status=VolunteerStatus(row.to_status),
        reason=row.reason,
        actor_id=row.actor_id,
        at=row.at,
    )


def _status_to_row(
    change: StatusChange,
    *,
    volunteer_id: uuid.UUID,
    position: int,
    into: VolunteerStatusRow | None = None,
) -> VolunteerStatusRow:
    """A new row for the status change, or `into` with the one field that may change (the
    reason, cleared on erasure)."""
    row = into
    if row is None:
        row = VolunteerStatusRow(
            id=change.id,
            volunteer_id=volunteer_id,
            position=position,
            from_status=change.from_status.value if change.from_status else None,
            to_status=change.to_status.value,
            actor_id=change.actor_id,
            at=change.at,
        )
    row.reason = change.reason
    return row


class SqlVolunteerRepository:
    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._keyring = keyring

    # -- repository ----------------------------------------------------------------------

    async def find_by_national_id(self, national_id: str) -> uuid.UUID | None:
        """The volunteer registered under this national ID, under any listed hash key."""
        hashes = self._keyring.keyed_hashes(national_id, purpose=NATIONAL_ID_PURPOSE)
        query = select(VolunteerRow.id).where(
            hash_matches(col(VolunteerRow.national_id_hash), list(hashes.values()))
        )
        found: uuid.UUID | None = (await self._session.exec(query)).first()
        return found

    async def add(self, volunteer: Volunteer) -> None:
        self._session.add(_to_row(self._keyring, volunteer))
        await self._session.flush()
        await self._write_children(volunteer)

    async def holder_of_national_id(self, national_id: str) -> uuid.UUID | None:
        hashes = self._keyring.keyed_hashes(national_id, purpose=NATIONAL_ID_PURPOSE)
        # Two applications with one ID at once: the second waits for the first's commit
        # (a transaction-scoped lock on the hash under the current key, the one both
        # compute), then its own query sees it. During a hash-key rotation the ID is also
        # looked for under every older key.
        current = self._keyring.keyed_hash(national_id, purpose=NATIONAL_ID_PURPOSE)
        key = func.hashtextextended(f"volunteer-national-id:{current}", 0)
        await self._session.exec(select(func.pg_advisory_xact_lock(key)))
        found = await self._session.exec(
            select(VolunteerRow.id)
            .where(hash_matches(col(VolunteerRow.national_id_hash), list(hashes.values())))
            .order_by(col(VolunteerRow.created_at), col(VolunteerRow.id))
            .limit(1)
        )
        return found.first()

    async def _load(self, row: VolunteerRow | None) -> Volunteer | None:
        if row is None:
            return None
        trainings = (
            await self._session.exec(
                select(VolunteerTrainingRow)
                .where(VolunteerTrainingRow.volunteer_id == row.id)
                .order_by(col(VolunteerTrainingRow.position))
            )
        ).all()
        history = (
            await self._session.exec(
                select(VolunteerStatusRow)
                .where(VolunteerStatusRow.volunteer_id == row.id)
                .order_by(col(VolunteerStatusRow.position))
            )
        ).all()
        return _to_entity(self._keyring, row, list(trainings), list(history))

    async def get(self, volunteer_id: uuid.UUID, *, for_update: bool = False) -> Volunteer | None:
        query = select(VolunteerRow).where(VolunteerRow.id == volunteer_id)
        if for_update:
            query = query.with_for_update()
        return await self._load((await self._session.exec(query)).first())

    async def get_by_account(
        self, account_id: uuid.UUID, *, for_update: bool = False
    ) -> Volunteer | None:
        query = select(VolunteerRow).where(VolunteerRow.account_id == account_id)
        if for_update:
            query = query.with_for_update()
        return await self._load((await self._session.exec(query)).first())

    async def save(self, volunteer: Volunteer) -> None:
        row = await self._session.get(VolunteerRow, volunteer.id)
        if row is None:
            raise LookupError(f"volunteer {volunteer.id} vanished")
        self._session.add(_to_row(self._keyring, volunteer, into=row))
        await self._session.flush()
        await self._write_children(volunteer)

    async def _write_children(self, volunteer: Volunteer) -> None:
        for position, training in enumerate(volunteer.trainings):
            t_row = await self._session.get(VolunteerTrainingRow, training.id)
            self._session.add(
                _training_to_row(training, volunteer_id=volunteer.id, position=position, into=t_row)
            )
        for position, change in enumerate(volunteer.history):
            h_row = await self._session.get(VolunteerStatusRow, change.id)
            self._session.add(
                _status_to_row(change, volunteer_id=volunteer.id, position=position, into=h_row)
            )
        await self._session.flush()

    async def list(
        self, criteria: VolunteerFilter, *, only_province: str | None, page: PageRequest[Cursor]
    ) -> list[VolunteerSummary]:
        # The hot search (officers typing a name): on the driver, summary columns only.
        p = Params()
        conditions = []
        if only_province is not None:
            conditions.append(f"province_code = {p(only_province)}")
        if criteria.province_code is not None:
            conditions.append(f"province_code = {p(criteria.province_code)}")
        if criteria.status is not None:
            conditions.append(f"status = {p(criteria.status.value)}")
        if criteria.trained is True:
            conditions.append("trainings_count > 0")
        elif criteria.trained is False:
            conditions.append("trainings_count = 0")
        if criteria.name:
            # ILIKE is served by the trigram (GIN) indexes and, unlike word-based full-text
            # search, finds Thai substrings ("สมชาย" in "นายสมชาย ใจดี").
            pattern = p(f"%{_escape_like(criteria.name)}%")
            conditions.append(
                f"(full_name_th ILIKE {pattern} ESCAPE '\\'"
                f" OR full_name_en ILIKE {pattern} ESCAPE '\\')"
            )
        after = page.after
        if after is not None:
            at, after_id = p(after.at), p(after.id)
            conditions.append(
                f"(created_at < {at}::timestamptz"
                f" OR (created_at = {at}::timestamptz AND id < {after_id}::uuid))"
            )
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = (
            f"SELECT {_SUMMARY_COLUMNS} FROM volunteers{where}"  # noqa: S608 - values bound
            f" ORDER BY created_at DESC, id DESC LIMIT {p(page.fetch)}"
        )
        connection = await driver_connection(self._session)
        records = await connection.fetch(sql, *p.values)
        return [_summary_of_record(record) for record in records]

    async def store_activation_code(
        self, volunteer_id: uuid.UUID, code: str, *, expires_at: datetime
    ) -> None:
        row = await self._session.get(VolunteerRow, volunteer_id)
        if row is None:
            raise LookupError(f"volunteer {volunteer_id} vanished")
        row.activation_code_hash = self._keyring.keyed_hash(code, purpose=ACTIVATION_PURPOSE)
        row.activation_expires_at = expires_at
        self._session.add(row)
        await self._session.flush()

    async def find_by_activation_code(self, code: str, *, now: datetime) -> Volunteer | None:
        digests = list(self._keyring.keyed_hashes(code, purpose=ACTIVATION_PURPOSE).values())
        query = (
            select(VolunteerRow)
            .where(
                hash_matches(col(VolunteerRow.activation_code_hash), digests),
                col(VolunteerRow.activation_expires_at) > now,
            )
            .with_for_update()
        )
        return await self._load((await self._session.exec(query)).first())

    async def clear_activation_code(self, volunteer_id: uuid.UUID) -> None:
        row = await self._session.get(VolunteerRow, volunteer_id)
        if row is None:
            return
        row.activation_code_hash = None
        row.activation_expires_at = None
        self._session.add(row)
        await self._session.flush()
