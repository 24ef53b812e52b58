"""Rows and domain entities correspond field for field, and each repository maps them.

Every feature converts between its SQLModel rows and its domain dataclasses in one
section of its repository.py (`_to_entity` / `_to_row` and their per-table siblings).
These tests fail when an entity gains a field its table has no column for, when a table
gains a column no entity field stands for, or when a mapping drops a field on the way
through. The intended differences are listed below, each with its reason; keep the
lists short, and add to them only what is meant to differ.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table
from sqlmodel import SQLModel

import persistence.tables  # noqa: F401  (every table on the metadata)
from domain.accounts.model import Account
from domain.agencies.model import Agency
from domain.audit.model import AuditEntry
from domain.clients.model import ApiClient
from domain.investigations.model import (
    Assignment,
    AssignmentRole,
    Evidence,
    Investigation,
    InvestigationOutcome,
    InvestigationStatus,
    InvestigationSummary,
    InvestigationTip,
    Priority,
    TimelineEntry,
    TimelineKind,
)
from domain.investigations.ports import ReferralSummary
from domain.investigations.referrals import Referral, ReferralStatus
from domain.outbox.model import OutboxEvent
from domain.policy import ClientScope, Role
from domain.provinces.model import Province
from domain.sessions.model import LoginThrottle, RefreshToken
from domain.tips.disclosures import DisclosureRequest, DisclosureStatus, DisclosureSummary
from domain.tips.model import (
    Accused,
    Contact,
    Incident,
    LinkKind,
    MessageAuthor,
    Tip,
    TipCategory,
    TipChannel,
    TipEvent,
    TipLink,
    TipMessage,
    TipOutcome,
    TipStatus,
    TipSummary,
)
from domain.volunteers.model import StatusChange, Training, Volunteer, VolunteerStatus
from domain.volunteers.ports import VolunteerSummary
from domain.webhooks.model import Attempt, Delivery, Endpoint
from persistence.accounts import repository as accounts
from persistence.accounts.tables import AccountRow
from persistence.agencies import repository as agencies
from persistence.agencies.tables import AgencyRow
from persistence.audit import repository as audit
from persistence.audit.tables import AuditRow
from persistence.clients import repository as clients
from persistence.clients.tables import ApiClientRow
from persistence.crypto import FieldSealer, development_keyring
from persistence.investigations import repository as investigations
from persistence.investigations.tables import (
    InvestigationAssignmentRow,
    InvestigationRow,
    InvestigationTimelineRow,
    InvestigationTipRow,
    ReferralRow,
)
from persistence.outbox.tables import OutboxEventRow
from persistence.provinces.tables import ProvinceRow
from persistence.sessions import repository as sessions
from persistence.sessions.tables import LoginThrottleRow, RefreshTokenRow
from persistence.tips import repository as tips
from persistence.tips.tables import (
    TipDisclosureRow,
    TipEventRow,
    TipLinkRow,
    TipMessageRow,
    TipRow,
)
from persistence.volunteers import repository as volunteers
from persistence.volunteers.tables import VolunteerRow, VolunteerStatusRow, VolunteerTrainingRow
from persistence.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow


@dataclass(frozen=True)
class Pairing:
    row: type[SQLModel]
    entity: type[Any]
    #: Value objects stored flattened, one column per field: entity field -> column prefix.
    flattened: Mapping[str, str] = field(default_factory=dict)
    #: Entity fields stored under other names (sealed, hashed, counted): field -> columns.
    stored_as: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Entity fields with no column: field -> why.
    not_stored: Mapping[str, str] = field(default_factory=dict)
    #: Columns no entity field stands for: column -> why.
    row_only: Mapping[str, str] = field(default_factory=dict)
    #: A list item built from some columns of the row: the columns it leaves out are fine.
    projection: bool = False

    @property
    def id(self) -> str:
        return f"{self.row.__name__}-{self.entity.__name__}"


_POSITION = "its index in the owner's list (Volunteer.trainings / Volunteer.history)"
_OWNER = "the volunteer it belongs to: the entity sits in that volunteer's list"
_CASE = "the investigation it belongs to: the entity sits in that investigation's list"
_CONTENT = ("content",)  # sealed together, as one JSON document

PAIRINGS = [
    Pairing(AccountRow, Account),
    Pairing(AuditRow, AuditEntry),
    Pairing(ProvinceRow, Province, flattened={"labour_office": "office_"}),
    Pairing(RefreshTokenRow, RefreshToken),
    Pairing(
        LoginThrottleRow,
        LoginThrottle,
        row_only={"key_hash": "keyed hash of the username the throttle counts (its key)"},
    ),
    Pairing(
        TipRow,
        Tip,
        flattened={"incident": "incident_"},
        stored_as={
            # Sealed under the shorter name, plus a keyed hash to find a reporter's tips.
            "reporter_account_id": ("reporter", "reporter_hash", "reporter_hash_kid"),
        },
        not_stored={"new_events": "events not yet saved; saved, they are tip_events rows"},
        row_only={
            "receipt_hash": "keyed hash of the receipt, an argument of add() only",
            "receipt_hash_kid": "the hash key of receipt_hash (key rotation)",
        },
    ),
    Pairing(TipRow, TipSummary, projection=True),
    Pairing(TipEventRow, TipEvent, row_only={"seq": "identity column: the history's order"}),
    Pairing(TipMessageRow, TipMessage, row_only={"seq": "identity column: the thread's order"}),
    Pairing(TipLinkRow, TipLink),
    Pairing(
        VolunteerRow,
        Volunteer,
        stored_as={
            # A keyed hash (uniqueness, look-up), the sealed value with its key id, and
            # the last four digits for masking.
            "national_id": (
                "national_id_hash",
                "national_id_hash_kid",
                "national_id_sealed",
                "national_id_kid",
                "national_id_last4",
            ),
            # Sealed together, as one JSON document.
            "date_of_birth": ("personal_sealed", "personal_kid"),
            "phone": ("personal_sealed", "personal_kid"),
            "email": ("personal_sealed", "personal_kid"),
            # Rows of volunteer_trainings, and their count for the `trained` filter.
            "trainings": ("trainings_count",),
        },
        not_stored={"history": "rows of volunteer_status_history"},
        row_only={
            "activation_code_hash": "pending account activation, outside the entity",
            "activation_expires_at": "pending account activation, outside the entity",
        },
    ),
    Pairing(
        VolunteerRow,
        VolunteerSummary,
        stored_as={"trained": ("trainings_count",), "possible_duplicate": ("duplicate_of",)},
        projection=True,
    ),
    Pairing(
        VolunteerTrainingRow,
        Training,
        row_only={"volunteer_id": _OWNER, "position": _POSITION},
    ),
    Pairing(
        VolunteerStatusRow,
        StatusChange,
        row_only={"volunteer_id": _OWNER, "position": _POSITION},
    ),
    Pairing(
        InvestigationRow,
        Investigation,
        not_stored={
            "tips": "rows of investigation_tips",
            "assignments": "rows of investigation_assignments",
            "recused_province_codes": "derived from the linked tips (tips.recused_province_code)",
            "new_entries": "entries not yet saved; saved, they are investigation_timeline rows",
        },
    ),
    Pairing(
        InvestigationRow,
        InvestigationSummary,
        not_stored={
            "tips_count": "counted from investigation_tips",
            "lead_investigator_id": "the lead's row of investigation_assignments",
        },
        projection=True,
    ),
    Pairing(
        InvestigationTipRow,
        InvestigationTip,
        row_only={
            "investigation_id": _CASE,
            "position": "its index in Investigation.tips",
            "open": "the investigation's state, for the one-open-investigation unique index",
        },
    ),
    Pairing(InvestigationAssignmentRow, Assignment, row_only={"investigation_id": _CASE}),
    Pairing(
        InvestigationTimelineRow,
        TimelineEntry,
        stored_as={"text": _CONTENT, "evidence": _CONTENT, "fields": _CONTENT},
    ),
    Pairing(AgencyRow, Agency),
    Pairing(ApiClientRow, ApiClient),
    Pairing(TipDisclosureRow, DisclosureRequest),
    Pairing(TipDisclosureRow, DisclosureSummary, projection=True),
    Pairing(
        ReferralRow,
        Referral,
        not_stored={"investigation_reference": "the investigation's, joined when read"},
    ),
    Pairing(
        ReferralRow,
        ReferralSummary,
        not_stored={"investigation_reference": "the investigation's, joined when read"},
        projection=True,
    ),
    Pairing(
        OutboxEventRow,
        OutboxEvent,
        row_only={
            "seq": "identity column: the order of events within a transaction",
            "xid": "the writing transaction: the changes feed's commit order",
        },
    ),
    Pairing(WebhookEndpointRow, Endpoint),
    Pairing(
        WebhookDeliveryRow,
        Delivery,
        not_stored={
            "event_type": "the event's, joined when read",
            "message_id": "derived from the event id",
            "attempts": "rows of webhook_attempts",
        },
    ),
    Pairing(
        WebhookAttemptRow,
        Attempt,
        row_only={"id": "identity column: the attempts' order", "delivery_id": "its delivery"},
    ),
]

#: Tables no domain entity corresponds to.
NO_ENTITY = {
    # The last reference number per year, behind Tip.reference / Investigation.reference
    # (next_sequence only).
    "tip_reference_counters",
    "investigation_reference_counters",
    # Shared request-replay store: the domain sees IdempotencyKey and Outcome, which are
    # stored hashed and sealed (persistence/idempotency.py).
    "idempotency_keys",
    # Statistics: sums kept by database triggers (migration 0017), read as grouped counts
    # (domain/statistics/ports.py), never as entities.
    "stat_tip_counts",
    "stat_tip_open_deadlines",
    "stat_durations",
    "stat_investigations",
    "stat_conclusions",
    "stat_referrals",
    "stat_volunteers",
    # How far the audit trail was shipped off the server: a cursor of the shipper
    # (persistence/audit/shipping.py), not a record of the domain.
    "audit_shipments",
}


def _columns(row: type[SQLModel]) -> set[str]:
    table = row.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return {column.name for column in table.columns}


def _expected_columns(pairing: Pairing) -> set[str]:
    hints = typing.get_type_hints(pairing.entity)
    expected: set[str] = set()
    for entity_field in dataclasses.fields(pairing.entity):
        name = entity_field.name
        if name in pairing.not_stored:
            continue
        if name in pairing.flattened:
            nested = hints[name]
            assert dataclasses.is_dataclass(nested), f"{name} is not a dataclass"
            expected |= {pairing.flattened[name] + f.name for f in dataclasses.fields(nested)}
        elif name in pairing.stored_as:
            expected |= set(pairing.stored_as[name])
        else:
            expected.add(name)
    return expected


@pytest.mark.parametrize("pairing", PAIRINGS, ids=lambda p: p.id)
def test_entity_fields_and_row_columns_correspond(pairing: Pairing) -> None:
    fields = {f.name for f in dataclasses.fields(pairing.entity)}
    columns = _columns(pairing.row)
    expected = _expected_columns(pairing)

    assert sorted(expected - columns) == [], "entity fields without a column"
    if not pairing.projection:
        assert sorted(columns - expected - pairing.row_only.keys()) == [], (
            "columns without an entity field"
        )
    # The exceptions themselves must be current, or the lists only ever grow.
    exceptions = pairing.flattened.keys() | pairing.stored_as.keys() | pairing.not_stored.keys()
    assert sorted(exceptions - fields) == [], "listed entity fields that do not exist"
    assert sorted(pairing.row_only.keys() - columns) == [], "listed columns that do not exist"
    assert sorted(pairing.row_only.keys() & expected) == [], "row_only columns that are mapped"


def test_every_table_is_paired_with_an_entity_or_listed_without_one() -> None:
    paired = {pairing.row.__tablename__ for pairing in PAIRINGS}
    assert set(SQLModel.metadata.tables) - paired == NO_ENTITY
    assert not paired & NO_ENTITY


def test_tables_modules_hold_no_mapping() -> None:
    """Row classes are schema only: conversions live in the repositories."""
    methods = {
        f"{mapper.class_.__name__}.{name}"
        for mapper in SQLModel._sa_registry.mappers
        for name, value in vars(mapper.class_).items()
        if inspect.isfunction(value) and not name.startswith("__")
    }
    assert methods == set()


# -- round trips: entity -> row -> entity gives the entity back ----------------------------
#
# Each sample sets every field to something other than its default, so a field the
# mapping forgets comes back different.

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
KEYRING = development_keyring()
SEALER = FieldSealer(KEYRING)


def _no_field_at_its_default(entity: Any) -> None:
    for f in dataclasses.fields(entity):
        value = getattr(entity, f.name)
        if f.default is not dataclasses.MISSING:
            assert value != f.default, f"sample leaves {f.name} at its default"
        if f.default_factory is not dataclasses.MISSING:
            assert value != f.default_factory(), f"sample leaves {f.name} at its default"


def test_account_round_trip() -> None:
    account = Account(
        id=uuid.uuid4(),
        username="somchai.j",
        display_name="Somchai J.",
        role=Role.PROVINCIAL_OFFICER,
        password_hash="$argon2id$...",
        created_at=NOW,
        updated_at=NOW + timedelta(hours=1),
        email="somchai@example.org",
        province_code="40",
        agency_code="DOE",
        is_active=False,
        must_change_password=True,
        last_login_at=NOW + timedelta(minutes=5),
        failed_logins=3,
        locked_until=NOW + timedelta(minutes=15),
        version=7,
        token_version=4,
    )
    _no_field_at_its_default(account)
    row = accounts._to_row(account)
    assert accounts._to_entity(row) == account

    changed = dataclasses.replace(account, display_name="S. J.", role=Role.AUDITOR, version=8)
    assert accounts._to_entity(accounts._to_row(changed, into=row)) == changed


def test_audit_entry_round_trip() -> None:
    entry = AuditEntry(
        seq=42,
        occurred_at=NOW,
        actor_id=str(uuid.uuid4()),
        actor_role="admin",
        action="account.created",
        entity_type="account",
        entity_id=str(uuid.uuid4()),
        province_code="40",
        request_id="req-1",
        details={"role": "auditor"},
        prev_hash="a" * 64,
        hash="b" * 64,
    )
    _no_field_at_its_default(entry)
    # Written with the driver (`_values`, in `_INSERT`'s column order), read back as a
    # driver record (jsonb as text).
    values = audit._values(entry)
    assert ", ".join(values) in audit._INSERT
    assert audit._record_to_entity(list(values.values())) == entry
    assert ", ".join(values) == audit._COLUMNS
    assert {c.name for c in AuditRow.__table__.columns} == set(values)  # type: ignore[attr-defined]


def test_api_client_round_trip() -> None:
    client = ApiClient(
        id=uuid.uuid4(),
        name="PACC case system",
        agency_code="PACC",
        scopes=frozenset({ClientScope.REFERRALS_READ, ClientScope.CHANGES_READ}),
        secret_hash="e" * 64,
        created_at=NOW,
        created_by=uuid.uuid4(),
        previous_secret_hash="f" * 64,
        previous_secret_expires_at=NOW + timedelta(days=1),
        secret_rotated_at=NOW + timedelta(hours=1),
        revoked_at=NOW + timedelta(hours=2),
        last_authenticated_at=NOW + timedelta(minutes=3),
        version=4,
    )
    _no_field_at_its_default(client)
    row = clients._to_row(client)
    assert clients._to_entity(row) == client
    changed = dataclasses.replace(client, scopes=frozenset({ClientScope.WEBHOOKS_MANAGE}))
    assert clients._to_entity(clients._to_row(changed, into=row)) == changed


def test_refresh_token_and_throttle_round_trips() -> None:
    token = RefreshToken(
        id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        family_id=uuid.uuid4(),
        parent_id=uuid.uuid4(),
        token_hash="c" * 64,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=14),
        used_at=NOW + timedelta(hours=1),
        revoked_at=NOW + timedelta(hours=2),
        session_started_at=NOW - timedelta(hours=3),
    )
    _no_field_at_its_default(token)
    assert sessions._token_to_entity(sessions._token_to_row(token)) == token

    throttle = LoginThrottle(failures=4, locked_until=NOW + timedelta(minutes=15))
    _no_field_at_its_default(throttle)
    row = LoginThrottleRow(key_hash="d" * 64, failures=0)
    assert sessions._throttle_to_entity(sessions._throttle_to_row(throttle, into=row)) == throttle


def _tip() -> Tip:
    tip = Tip(
        id=uuid.uuid4(),
        reference="DT-2569-000123",
        province_code="40",
        category=TipCategory.EXTORTION,
        channel=TipChannel.HOTLINE,
        description="An official asked for money to stamp a work permit.",
        received_at=NOW,
        ack_due_at=NOW + timedelta(days=3),
        feedback_due_at=NOW + timedelta(days=30),
        status=TipStatus.CLOSED,
        accused=Accused(
            office="Provincial Labour Office",
            person_name="Mr. X",
            position="Clerk",
            is_provincial_labour_office=True,
        ),
        incident=Incident(date=date(2026, 11, 1)),
        location="Khon Kaen",
        amount_thb=Decimal("1500.00"),
        contact=Contact(name="Nok", phone="+66812345678", email="nok@example.org"),
        reporter_account_id=uuid.uuid4(),
        recorded_by=uuid.uuid4(),
        recused_province_code="40",
        outcome=TipOutcome.SUBSTANTIATED,
        acknowledged_at=NOW + timedelta(days=1),
        first_feedback_at=NOW + timedelta(days=2),
        closed_at=NOW + timedelta(days=20),
        version=5,
    )
    _no_field_at_its_default(dataclasses.replace(tip, new_events=[_event(tip.id)]))
    return tip


def _event(tip_id: uuid.UUID) -> TipEvent:
    return TipEvent(
        id=uuid.uuid4(),
        tip_id=tip_id,
        at=NOW,
        actor_id=uuid.uuid4(),
        actor_role="provincial_officer",
        from_status=TipStatus.IN_REVIEW,
        to_status=TipStatus.CLOSED,
        outcome=TipOutcome.REFERRED,
        reason="Referred to the NACC.",
    )


def test_tip_round_trip() -> None:
    tip = _tip()
    row = tips._tip_to_row(SEALER, tip, reporter_hash="e" * 64, receipt_hash="f" * 64)
    assert tips._tip_to_entity(SEALER, row) == tip
    assert (row.reporter_hash, row.receipt_hash) == ("e" * 64, "f" * 64)

    summary = tips._summary_to_entity(row)
    assert dataclasses.asdict(summary) == {
        name: getattr(tip, name) for name in (f.name for f in dataclasses.fields(TipSummary))
    }
    # The list reads `_SUMMARY_SQL`'s columns on the driver and maps them by position.
    record = [getattr(row, name) for name in tips._SUMMARY_SQL.split(", ")]
    assert tips._summary_of_record(record) == summary

    # What save() writes: the fields that change after intake, nothing sealed.
    sealed = [getattr(row, name) for name in tips.SEALED_COLUMNS]
    changed = dataclasses.replace(tip, province_code="10", status=TipStatus.IN_REVIEW, version=6)
    tips._tip_changes_to_row(changed, into=row)
    assert tips._tip_to_entity(SEALER, row) == changed
    assert [getattr(row, name) for name in tips.SEALED_COLUMNS] == sealed


def test_tip_event_message_and_link_round_trips() -> None:
    event = _event(uuid.uuid4())
    _no_field_at_its_default(event)
    assert tips._event_to_entity(SEALER, tips._event_to_row(SEALER, event)) == event

    message = TipMessage(
        id=uuid.uuid4(),
        tip_id=uuid.uuid4(),
        created_at=NOW,
        author=MessageAuthor.OFFICIAL,
        body="We have opened an inquiry.",
        internal=True,
        author_account_id=uuid.uuid4(),
        author_role="provincial_officer",
    )
    _no_field_at_its_default(message)
    assert tips._message_to_entity(SEALER, tips._message_to_row(SEALER, message)) == message

    # Links are read back joined with the other tip (LinkedTip): check the row itself.
    link = TipLink(
        tip_id=uuid.uuid4(),
        target_id=uuid.uuid4(),
        kind=LinkKind.DUPLICATE_OF,
        created_at=NOW,
        created_by=uuid.uuid4(),
    )
    row = tips._link_to_row(link)
    assert (
        TipLink(
            tip_id=row.tip_id,
            target_id=row.target_id,
            kind=LinkKind(row.kind),
            created_at=row.created_at,
            created_by=row.created_by,
        )
        == link
    )


def test_volunteer_round_trip() -> None:
    approver = uuid.uuid4()
    volunteer = Volunteer(
        id=uuid.uuid4(),
        full_name_th="นายสมชาย ใจดี",
        full_name_en="Somchai Jaidee",
        national_id="1103700012345",
        date_of_birth=date(1990, 5, 17),
        phone="+66812345678",
        email="somchai@example.org",
        province_code="40",
        district="Mueang",
        occupation="Farmer",
        status=VolunteerStatus.ACTIVE,
        applied_at=NOW,
        created_at=NOW,
        updated_at=NOW + timedelta(days=1),
        version=4,
        approved_at=NOW + timedelta(hours=3),
        approved_by=approver,
        pledged_on=date(2026, 11, 26),
        account_id=uuid.uuid4(),
        erased_at=NOW + timedelta(days=2),
        duplicate_of=uuid.uuid4(),
        trainings=[
            Training(
                id=uuid.uuid4(),
                course_title="Anti-corruption basics",
                held_on=date(2026, 11, 20),
                hours=6,
                certificate_number="C-001",
                organiser="Department of Employment",
                recorded_at=NOW,
                recorded_by=approver,
            )
        ],
        history=[
            StatusChange(uuid.uuid4(), None, VolunteerStatus.APPLIED, None, "anonymous", NOW),
            StatusChange(
                uuid.uuid4(),
                VolunteerStatus.APPLIED,
                VolunteerStatus.ACTIVE,
                "Checked.",
                str(approver),
                NOW + timedelta(hours=3),
            ),
        ],
    )
    _no_field_at_its_default(volunteer)
    row = volunteers._to_row(KEYRING, volunteer)
    assert row.trainings_count == 1
    assert row.national_id_last4 == "2345"
    trainings = [
        volunteers._training_to_row(t, volunteer_id=volunteer.id, position=i)
        for i, t in enumerate(volunteer.trainings)
    ]
    history = [
        volunteers._status_to_row(h, volunteer_id=volunteer.id, position=i)
        for i, h in enumerate(volunteer.history)
    ]
    assert volunteers._to_entity(KEYRING, row, trainings, history) == volunteer

    # The search reads `_SUMMARY_COLUMNS` on the driver and maps them by position.
    record = [getattr(row, name.strip()) for name in volunteers._SUMMARY_COLUMNS.split(",")]
    summary = volunteers._summary_of_record(record)
    assert summary == VolunteerSummary(
        id=volunteer.id,
        full_name_th=volunteer.full_name_th,
        full_name_en=volunteer.full_name_en,
        province_code=volunteer.province_code,
        district=volunteer.district,
        status=volunteer.status,
        trained=True,
        applied_at=volunteer.applied_at,
        created_at=volunteer.created_at,
        possible_duplicate=True,
    )


def _investigation() -> Investigation:
    case_id = uuid.uuid4()
    investigation = Investigation(
        id=case_id,
        reference="INV-2569-000042",
        title="Bribes for work permits at the Khon Kaen office",
        lead_province_code="40",
        priority=Priority.CRITICAL,
        status=InvestigationStatus.CONCLUDED,
        created_at=NOW,
        created_by=uuid.uuid4(),
        updated_at=NOW + timedelta(days=30),
        due_on=date(2027, 2, 28),
        outcome=InvestigationOutcome.REFERRED,
        findings="Transfers to an official's account; referred to the PACC.",
        concluded_at=NOW + timedelta(days=30),
        damage_estimated_thb=Decimal("125000.50"),
        amount_recovered_thb=Decimal("40000.00"),
        version=6,
        tips=[InvestigationTip(uuid.uuid4(), NOW), InvestigationTip(uuid.uuid4(), NOW)],
        assignments=[
            Assignment(uuid.uuid4(), AssignmentRole.LEAD, NOW, uuid.uuid4()),
            Assignment(uuid.uuid4(), AssignmentRole.MEMBER, NOW, uuid.uuid4()),
        ],
        recused_province_codes=frozenset({"40"}),
    )
    _no_field_at_its_default(
        dataclasses.replace(investigation, new_entries=[_timeline_entry(case_id)])
    )
    return investigation


def _timeline_entry(case_id: uuid.UUID) -> TimelineEntry:
    return TimelineEntry(
        id=uuid.uuid4(),
        investigation_id=case_id,
        at=NOW,
        kind=TimelineKind.STATUS_CHANGED,
        actor_id=uuid.uuid4(),
        actor_role="investigator",
        from_status=InvestigationStatus.IN_PROGRESS,
        to_status=InvestigationStatus.CONCLUDED,
        outcome=InvestigationOutcome.REFERRED,
        subject_id=uuid.uuid4(),
        assignment_role=AssignmentRole.MEMBER,
        text="Within the PACC's powers.",
        evidence=Evidence(
            item="Bank statements",
            source="The reporter",
            location="Safe, 3rd floor",
            custodian="Suda R.",
            obtained_at=NOW - timedelta(days=2),
        ),
        fields=("findings",),
        agency_code="PACC",
        referral_status="accepted",
        seq=17,
    )


def test_investigation_round_trip() -> None:
    investigation = _investigation()
    row = investigations._to_row(SEALER, investigation)
    tips_rows = [
        investigations._tip_to_row(t, investigation_id=investigation.id, position=i, open=False)
        for i, t in enumerate(investigation.tips)
    ]
    assignment_rows = [
        investigations._assignment_to_row(a, investigation_id=investigation.id)
        for a in investigation.assignments
    ]
    back = investigations._to_entity(
        SEALER, row, tips_rows, assignment_rows, investigation.recused_province_codes
    )
    assert back == investigation

    changed = dataclasses.replace(
        investigation, title="Renamed", status=InvestigationStatus.IN_PROGRESS, version=7
    )
    changed.outcome, changed.concluded_at = None, None
    changed.damage_estimated_thb = changed.amount_recovered_thb = None
    into = investigations._to_row(SEALER, changed, into=row)
    assert (
        investigations._to_entity(
            SEALER, into, tips_rows, assignment_rows, changed.recused_province_codes
        )
        == changed
    )

    summary = investigations._summary_to_entity(
        row, tips_count=2, lead_investigator_id=investigation.lead_investigator_id
    )
    assert summary == InvestigationSummary(
        id=changed.id,
        reference=changed.reference,
        lead_province_code=changed.lead_province_code,
        priority=changed.priority,
        status=changed.status,
        outcome=None,
        due_on=changed.due_on,
        created_at=changed.created_at,
        updated_at=changed.updated_at,
        tips_count=2,
        lead_investigator_id=investigation.assignments[0].account_id,
    )


def test_investigation_timeline_entry_round_trip() -> None:
    entry = _timeline_entry(uuid.uuid4())
    _no_field_at_its_default(entry)
    row = investigations._entry_to_row(SEALER, entry)
    assert investigations._entry_to_entity(SEALER, row) == entry
    # The content is sealed and bound to its place: nothing readable in the row.
    assert row.content is not None
    assert b"PACC" not in row.content
    assert b"Suda" not in row.content


def test_agency_and_referral_round_trips() -> None:
    agency = Agency(
        code="PACC",
        name_th="สำนักงาน ป.ป.ท.",
        name_en="PACC",
        phone="1206",
        email="saraban@pacc.go.th",
        website="https://www.pacc.go.th",
        is_active=False,
        version=3,
    )
    _no_field_at_its_default(agency)
    row = agencies._to_row(agency)
    assert agencies._to_entity(row) == agency
    changed = dataclasses.replace(agency, phone=None, is_active=True, version=4)
    assert agencies._to_entity(agencies._to_row(changed, into=row)) == changed

    referral = Referral(
        id=uuid.uuid4(),
        investigation_id=uuid.uuid4(),
        investigation_reference="INV-2569-000042",
        agency_code="PACC",
        summary="An official of the Khon Kaen office took money for work permits.",
        status=ReferralStatus.PROSECUTED,
        created_at=NOW,
        created_by=uuid.uuid4(),
        updated_at=NOW + timedelta(days=9),
        version=4,
    )
    _no_field_at_its_default(referral)
    referral_row = investigations._referral_to_row(SEALER, referral)
    assert b"Khon Kaen" not in referral_row.summary
    back = investigations._referral_to_entity(
        SEALER, referral_row, referral.investigation_reference
    )
    assert back == referral
    # What save() writes: the status and its time, never the sealed summary again.
    sealed = referral_row.summary
    moved = dataclasses.replace(referral, status=ReferralStatus.CLOSED, version=5)
    investigations._referral_to_row(SEALER, moved, into=referral_row)
    assert referral_row.summary == sealed
    assert investigations._referral_to_entity(SEALER, referral_row, "INV-2569-000042") == moved
    assert investigations._referral_summary_to_entity(
        referral_row, "INV-2569-000042"
    ) == ReferralSummary(
        id=moved.id,
        investigation_reference="INV-2569-000042",
        agency_code="PACC",
        status=ReferralStatus.CLOSED,
        created_at=NOW,
        updated_at=moved.updated_at,
    )


def test_disclosure_request_round_trip() -> None:
    request = DisclosureRequest(
        id=uuid.uuid4(),
        tip_id=uuid.uuid4(),
        requested_by=uuid.uuid4(),
        requester_role="investigator",
        reason="To interview the reporter.",
        status=DisclosureStatus.APPROVED,
        requested_at=NOW,
        decided_by=uuid.uuid4(),
        decided_at=NOW + timedelta(hours=2),
        decision_reason="Needed for the case.",
    )
    _no_field_at_its_default(request)
    row = tips._disclosure_to_row(SEALER, request)
    assert b"interview" not in row.reason
    assert tips._disclosure_to_entity(SEALER, row) == request
    summary = tips._disclosure_summary_to_entity(row)
    assert summary == DisclosureSummary(
        id=request.id,
        tip_id=request.tip_id,
        requested_by=request.requested_by,
        requester_role="investigator",
        status=DisclosureStatus.APPROVED,
        requested_at=NOW,
        decided_at=request.decided_at,
    )
