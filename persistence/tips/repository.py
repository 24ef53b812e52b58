"""Tips: tables and repository. Confidential fields are sealed here, opened here.

Sealed at rest with the unit of work's KeyRing (AES-256-GCM): a tip's description,
accused, location, contact and reporter identity; history reasons; message bodies.
Each sealed value is stored as `len(kid) || kid || nonce || ciphertext || tag`, so its
key id travels with it and keys can rotate value by value. The associated data binds
each value to its table, row and field (`tip:<id>:description`), so a ciphertext cannot
be moved to another tip. The receipt is stored only as a keyed hash; the reporter's
account only sealed plus a keyed hash (to find "my tips" without storing who they are).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    and_,
    or_,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.pagination import Cursor, PageRequest
from domain.tips.access import TipVisibility
from domain.tips.deadlines import OverdueKind
from domain.tips.disclosures import DisclosureRequest, DisclosureStatus, DisclosureSummary
from domain.tips.errors import TipLinkExists
from domain.tips.model import (
    Accused,
    Contact,
    Incident,
    LinkedTip,
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
from domain.tips.ports import TipQuery
from persistence.crypto import (
    FieldSealer,
    KeyedHashColumn,
    KeyRing,
    SealedColumn,
    hash_matches,
)
from persistence.driver import Params, RecordView, driver_connection, driver_transaction
from persistence.tips.tables import (
    TipDisclosureRow,
    TipEventRow,
    TipLinkRow,
    TipMessageRow,
    TipRow,
)

RECEIPT_PURPOSE = "receipt"
REPORTER_PURPOSE = "tip_reporter"


# -- sealing: the shared FieldSealer (persistence/crypto.py), bound to places ------------


def _tip_aad(tip_id: uuid.UUID, field: str) -> str:
    return f"tip:{tip_id}:{field}"


def _message_aad(message_id: uuid.UUID, tip_id: uuid.UUID) -> str:
    return f"tip_message:{tip_id}:{message_id}:body"


def _event_aad(event_id: uuid.UUID) -> str:
    return f"tip_event:{event_id}:reason"


# -- rows <-> entities (the only place that knows both) -----------------------------------
# Sealed columns are sealed and opened here; keyed hashes (reporter, receipt) are computed
# by the repository and handed in, as they are not fields of the entities.


def _tip_to_entity(s: FieldSealer, row: TipRow | RecordView) -> Tip:
    accused = s.open_json(row.accused, _tip_aad(row.id, "accused"))
    contact = s.open_json(row.contact, _tip_aad(row.id, "contact"))
    reporter = s.open(row.reporter, _tip_aad(row.id, "reporter"))
    description = s.open(row.description, _tip_aad(row.id, "description"))
    assert description is not None
    return Tip(
        id=row.id,
        reference=row.reference,
        province_code=row.province_code,
        category=TipCategory(row.category),
        channel=TipChannel(row.channel),
        description=description,
        received_at=row.received_at,
        ack_due_at=row.ack_due_at,
        feedback_due_at=row.feedback_due_at,
        status=TipStatus(row.status),
        accused=Accused(**accused) if accused is not None else None,
        incident=Incident(
            date=row.incident_date,
            period_start=row.incident_period_start,
            period_end=row.incident_period_end,
        ),
        location=s.open(row.location, _tip_aad(row.id, "location")),
        amount_thb=row.amount_thb,
        contact=Contact(**contact) if contact is not None else None,
        reporter_account_id=uuid.UUID(reporter) if reporter else None,
        recorded_by=row.recorded_by,
        recused_province_code=row.recused_province_code,
        outcome=TipOutcome(row.outcome) if row.outcome else None,
        acknowledged_at=row.acknowledged_at,
        first_feedback_at=row.first_feedback_at,
        closed_at=row.closed_at,
        version=row.version,
    )


def _tip_to_row(
    s: FieldSealer, tip: Tip, *, reporter_hash: str | None, receipt_hash: str | None
) -> TipRow:
    """The row of a new tip: everything, sealed where confidential."""
    accused, contact, reporter = tip.accused, tip.contact, tip.reporter_account_id
    row = TipRow(
        id=tip.id,
        reference=tip.reference,
        province_code=tip.province_code,
        recused_province_code=tip.recused_province_code,
        category=tip.category.value,
        channel=tip.channel.value,
        status=tip.status.value,
        received_at=tip.received_at,
        ack_due_at=tip.ack_due_at,
        feedback_due_at=tip.feedback_due_at,
        incident_date=tip.incident.date,
        incident_period_start=tip.incident.period_start,
        incident_period_end=tip.incident.period_end,
        amount_thb=tip.amount_thb,
        description=s.seal(tip.description, _tip_aad(tip.id, "description")) or b"",
        accused=s.seal_json(
            None if accused is None else asdict(accused), _tip_aad(tip.id, "accused")
        ),
        location=s.seal(tip.location, _tip_aad(tip.id, "location")),
        contact=s.seal_json(
            None if contact is None else asdict(contact), _tip_aad(tip.id, "contact")
        ),
        reporter=s.seal(None if reporter is None else str(reporter), _tip_aad(tip.id, "reporter")),
        reporter_hash=reporter_hash,
        receipt_hash=receipt_hash,
        recorded_by=tip.recorded_by,
    )
    return _tip_changes_to_row(tip, into=row)


def _tip_changes_to_row(tip: Tip, into: TipRow) -> TipRow:
    """The fields a tip changes after intake (its state machine, reassignment): the only
    ones `save` writes, so sealed values are never rewritten."""
    into.province_code = tip.province_code
    into.status = tip.status.value
    into.outcome = tip.outcome.value if tip.outcome else None
    into.acknowledged_at = tip.acknowledged_at
    into.feedback_due_at = tip.feedback_due_at
    into.first_feedback_at = tip.first_feedback_at
    into.closed_at = tip.closed_at
    into.version = tip.version
    return into


_TIPS: Table = TipRow.__table__  # type: ignore[attr-defined]
_EVENTS: Table = TipEventRow.__table__  # type: ignore[attr-defined]


def _column_values(row: Any) -> dict[str, Any]:
    """The column values of a mapped row, for a Core insert; columns the database fills
    (identity, server defaults) are left out when the row has no value for them."""
    values = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        if value is None and (column.identity is not None or column.server_default is not None):
            continue
        values[column.name] = value
    return values


#: The columns of a summary (lists): nothing sealed.
_SUMMARY_COLUMNS = tuple(
    TipRow.__table__.c[name]  # type: ignore[attr-defined]
    for name in (
        "id",
        "reference",
        "province_code",
        "category",
        "status",
        "channel",
        "received_at",
        "ack_due_at",
        "feedback_due_at",
        "acknowledged_at",
        "first_feedback_at",
    )
)


def _summary_to_entity(row: TipRow | Row[Any] | RecordView) -> TipSummary:
    return TipSummary(
        id=row.id,
        reference=row.reference,
        province_code=row.province_code,
        category=TipCategory(row.category),
        status=TipStatus(row.status),
        channel=TipChannel(row.channel),
        received_at=row.received_at,
        ack_due_at=row.ack_due_at,
        feedback_due_at=row.feedback_due_at,
        acknowledged_at=row.acknowledged_at,
        first_feedback_at=row.first_feedback_at,
    )


#: Enum members by stored value: a dict look-up, where calling the enum (`TipStatus(v)`)
#: costs about ten times as much, three times per summary.
_CATEGORIES = {member.value: member for member in TipCategory}
_STATUSES = {member.value: member for member in TipStatus}
_CHANNELS = {member.value: member for member in TipChannel}


def _summary_of_record(r: Any) -> TipSummary:
    """`_summary_to_entity` for a driver record of `_SUMMARY_COLUMNS`, by position: a list
    builds fifty per request, and the attribute view cost a fifth of its CPU."""
    return TipSummary(
        id=r[0],
        reference=r[1],
        province_code=r[2],
        category=_CATEGORIES[r[3]],
        status=_STATUSES[r[4]],
        channel=_CHANNELS[r[5]],
        received_at=r[6],
        ack_due_at=r[7],
        feedback_due_at=r[8],
        acknowledged_at=r[9],
        first_feedback_at=r[10],
    )


def _event_to_entity(s: FieldSealer, row: TipEventRow | RecordView) -> TipEvent:
    return TipEvent(
        id=row.id,
        tip_id=row.tip_id,
        at=row.at,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        from_status=TipStatus(row.from_status),
        to_status=TipStatus(row.to_status),
        outcome=TipOutcome(row.outcome) if row.outcome else None,
        reason=s.open(row.reason, _event_aad(row.id)),
    )


def _event_to_row(s: FieldSealer, event: TipEvent) -> TipEventRow:
    return TipEventRow(
        id=event.id,
        tip_id=event.tip_id,
        at=event.at,
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        from_status=event.from_status.value,
        to_status=event.to_status.value,
        outcome=event.outcome.value if event.outcome else None,
        reason=s.seal(event.reason, _event_aad(event.id)),
    )


def _message_to_entity(s: FieldSealer, row: TipMessageRow | RecordView) -> TipMessage:
    body = s.open(row.body, _message_aad(row.id, row.tip_id))
    assert body is not None
    return TipMessage(
        id=row.id,
        tip_id=row.tip_id,
        created_at=row.created_at,
        author=MessageAuthor(row.author),
        body=body,
        internal=row.internal,
        author_account_id=row.author_account_id,
        author_role=row.author_role,
    )


def _message_to_row(s: FieldSealer, message: TipMessage) -> TipMessageRow:
    return TipMessageRow(
        id=message.id,
        tip_id=message.tip_id,
        created_at=message.created_at,
        author=message.author.value,
        author_account_id=message.author_account_id,
        author_role=message.author_role,
        internal=message.internal,
        body=s.seal(message.body, _message_aad(message.id, message.tip_id)) or b"",
    )


def _link_to_row(link: TipLink) -> TipLinkRow:
    """Links are read back as LinkedTip, joined with the other tip (see `links`)."""
    return TipLinkRow(
        tip_id=link.tip_id,
        target_id=link.target_id,
        kind=link.kind.value,
        created_at=link.created_at,
        created_by=link.created_by,
    )


def _disclosure_aad(request_id: uuid.UUID, field: str) -> str:
    return f"tip_disclosure:{request_id}:{field}"


def _disclosure_to_entity(s: FieldSealer, row: TipDisclosureRow | RecordView) -> DisclosureRequest:
    reason = s.open(row.reason, _disclosure_aad(row.id, "reason"))
    assert reason is not None
    return DisclosureRequest(
        id=row.id,
        tip_id=row.tip_id,
        requested_by=row.requested_by,
        requester_role=row.requester_role,
        reason=reason,
        status=DisclosureStatus(row.status),
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=s.open(row.decision_reason, _disclosure_aad(row.id, "decision_reason")),
    )


def _disclosure_to_row(
    s: FieldSealer, request: DisclosureRequest, into: TipDisclosureRow | None = None
) -> TipDisclosureRow:
    """A new row (the reason sealed), or `into` with the decision."""
    row = into or TipDisclosureRow(
        id=request.id,
        tip_id=request.tip_id,
        requested_by=request.requested_by,
        requester_role=request.requester_role,
        status=request.status.value,
        requested_at=request.requested_at,
        reason=s.seal(request.reason, _disclosure_aad(request.id, "reason")) or b"",
    )
    row.status = request.status.value
    row.decided_by = request.decided_by
    row.decided_at = request.decided_at
    row.decision_reason = s.seal(
        request.decision_reason, _disclosure_aad(request.id, "decision_reason")
    )
    return row


def _disclosure_summary_to_entity(row: TipDisclosureRow) -> DisclosureSummary:
    return DisclosureSummary(
        id=row.id,
        tip_id=row.tip_id,
        requested_by=row.requested_by,
        requester_role=row.requester_role,
        status=DisclosureStatus(row.status),
        requested_at=row.requested_at,
        decided_at=row.decided_at,
    )


#: Columns a list never needs: not even loaded (and never decrypted) for summaries.
SEALED_COLUMNS = ("description", "accused", "location", "contact", "reporter")


# -- hot reads, straight on the driver (persistence/driver.py) ----------------------------
# Fixed statements with numbered parameters, prepared once per connection by asyncpg: no
# statement compilation, no ORM rows, and, before the unit of work writes, no transaction.


def _names(table: Any) -> str:
    return ", ".join(column.name for column in table.columns)


_TIP_COLUMNS = _names(_TIPS)
_SUMMARY_SQL = ", ".join(column.name for column in _SUMMARY_COLUMNS)
_GET_TIP = f"SELECT {_TIP_COLUMNS} FROM tips WHERE id = $1"  # noqa: S608 - fixed columns
_GET_TIP_BY_RECEIPT = f"SELECT {_TIP_COLUMNS} FROM tips WHERE receipt_hash = $1"  # noqa: S608
_HISTORY = f"SELECT {_names(_EVENTS)} FROM tip_events WHERE tip_id = $1 ORDER BY seq"  # noqa: S608
_MESSAGE_COLUMNS = _names(TipMessageRow.__table__)  # type: ignore[attr-defined]
_DISCLOSURE_COLUMNS = _names(TipDisclosureRow.__table__)  # type: ignore[attr-defined]
_APPROVED_FOR = (
    f"SELECT {_DISCLOSURE_COLUMNS} FROM tip_disclosures"  # noqa: S608 - fixed columns
    " WHERE tip_id = $1 AND requested_by = $2 AND status = $3"
    " ORDER BY decided_at DESC LIMIT 1"
)
_ANY_APPROVED = "SELECT id FROM tip_disclosures WHERE tip_id = $1 AND status = $2 LIMIT 1"


_NEXT_SEQUENCE = (
    "INSERT INTO tip_reference_counters (year, last_seq) VALUES ($1, 1) ON CONFLICT (year)"
    " DO UPDATE SET last_seq = tip_reference_counters.last_seq + 1 RETURNING last_seq"
)


def _insert_sql(table: str, values: dict[str, Any]) -> str:
    """`INSERT INTO table (columns) VALUES ($1, ...)` for the columns of `values`, in order
    (a handful of shapes per table, each prepared once per connection)."""
    placeholders = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    return f"INSERT INTO {table} ({', '.join(values)}) VALUES ({placeholders})"  # noqa: S608


def _messages_sql(*, include_internal: bool, newest: bool) -> str:
    internal = "" if include_internal else " AND internal IS false"
    order = " ORDER BY seq DESC LIMIT $2" if newest else " ORDER BY seq"
    return f"SELECT {_MESSAGE_COLUMNS} FROM tip_messages WHERE tip_id = $1{internal}{order}"  # noqa: S608


_MESSAGES = {
    (internal, newest): _messages_sql(include_internal=internal, newest=newest)
    for internal in (True, False)
    for newest in (True, False)
}


def _overdue_sql(kind: OverdueKind, at: str) -> str:
    """The SQL twin of domain.tips.deadlines: passed without the act, or the act came late.

    Plus a redundant bound that lets the newest-first index skip the tips too young to be
    overdue: a breached deadline has passed, so the tip was received more than its own
    window (deadline - receipt) ago, hence more than the smallest window of any tip ago
    (an index lookup, so settings may change without making the bound wrong). For a late
    act this holds because the act happened before now.
    `at`: the placeholder of now.
    """
    if kind is OverdueKind.ACK:
        done, due = "acknowledged_at", "ack_due_at"
    else:
        done, due = "first_feedback_at", "feedback_due_at"
    return (
        f"received_at < {at}::timestamptz - (SELECT min({due} - received_at) FROM tips)"  # noqa: S608
        f" AND (({done} IS NULL AND {due} < {at}::timestamptz) OR {done} > {due})"
    )


def _tip_column(column: str) -> SealedColumn:
    return SealedColumn("tips", column, lambda row: _tip_aad(row.id, column))


_TIP_REPORTER = _tip_column("reporter")

#: Every sealed column of the feature, for key rotation (persistence/keys).
SEALED = (
    *(_tip_column(c) for c in ("description", "accused", "location", "contact")),
    _TIP_REPORTER,
    SealedColumn("tip_events", "reason", lambda row: _event_aad(row.id)),
    SealedColumn(
        "tip_messages", "body", lambda row: _message_aad(row.id, row.tip_id), ("id", "tip_id")
    ),
    SealedColumn("tip_disclosures", "reason", lambda row: _disclosure_aad(row.id, "reason")),
    SealedColumn(
        "tip_disclosures",
        "decision_reason",
        lambda row: _disclosure_aad(row.id, "decision_reason"),
    ),
)

#: The feature's keyed hashes, for hash-key rotation: a reporter's hash is re-made from
#: the sealed reporter; a receipt's only when its holder presents it (get_by_receipt).
KEYED_HASHES = (
    KeyedHashColumn("tips", "reporter_hash", "reporter_hash_kid", REPORTER_PURPOSE, _TIP_REPORTER),
    KeyedHashColumn("tips", "receipt_hash", "receipt_hash_kid", RECEIPT_PURPOSE),
)


class SqlTipRepository:
    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._keyring = keyring
        self._sealer = FieldSealer(keyring)

    # -- helpers ---------------------------------------------------------------------

    def _reporter_hash(self, account_id: uuid.UUID) -> str:
        return self._keyring.keyed_hash(str(account_id), purpose=REPORTER_PURPOSE)

    def _reporter_hashes(self, account_id: uuid.UUID) -> list[str]:
        """Under every listed hash key: a hash-key rotation may not be re-hashed yet."""
        return list(self._keyring.keyed_hashes(str(account_id), purpose=REPORTER_PURPOSE).values())

    def _visible_sql(self, visibility: TipVisibility, p: Params) -> list[str]:
        """The conditions that keep the tips a caller may see (placeholders from `p`)."""
        if visibility.everything:
            return []
        if visibility.province_code is not None:
            code = p(visibility.province_code)
            return [
                f"tips.province_code = {code}",
                f"(tips.recused_province_code IS NULL OR tips.recused_province_code <> {code})",
            ]
        if visibility.reporter_id is not None:
            hashes = self._reporter_hashes(visibility.reporter_id)
            if len(hashes) == 1:
                return [f"tips.reporter_hash = {p(hashes[0])}"]
            return [f"tips.reporter_hash = ANY({p(hashes)}::text[])"]
        if visibility.tip_ids:
            return [f"tips.id = ANY({p(sorted(visibility.tip_ids))}::uuid[])"]
        return ["false"]

    # -- tips ------------------------------------------------------------------------

    async def next_sequence(self, year: int) -> int:
        connection = await driver_transaction(self._session)
        value: int = await connection.fetchval(_NEXT_SEQUENCE, year)
        return value

    async def add(self, tip: Tip, *, receipt: str | None) -> None:
        reporter = tip.reporter_account_id
        row = _tip_to_row(
            self._sealer,
            tip,
            reporter_hash=None if reporter is None else self._reporter_hash(reporter),
            receipt_hash=(
                None
                if receipt is None
                else self._keyring.keyed_hash(receipt, purpose=RECEIPT_PURPOSE)
            ),
        )
        row.reporter_hash_kid = None if reporter is None else self._keyring.hash_kid
        row.receipt_hash_kid = None if receipt is None else self._keyring.hash_kid
        # Inserts of the mapped rows' values on the driver, in the unit of work's
        # transaction: intake is the hottest write, and the ORM's flush (then Core's
        # compilation) cost more than the statements. Nothing reads these rows back
        # through the session's identity map in the same unit of work.
        connection = await driver_transaction(self._session)
        values = _column_values(row)
        await connection.execute(_insert_sql("tips", values), *values.values())
        await self._add_events(tip)

    async def _add_events(self, tip: Tip) -> None:
        if not tip.new_events:
            return
        rows = [_column_values(_event_to_row(self._sealer, e)) for e in tip.new_events]
        tip.new_events.clear()
        connection = await driver_transaction(self._session)
        await connection.executemany(
            _insert_sql("tip_events", rows[0]), [tuple(r.values()) for r in rows]
        )

    async def get(self, tip_id: uuid.UUID, *, for_update: bool = False) -> Tip | None:
        if not for_update:  # a plain read (the audited view): on the driver
            connection = await driver_connection(self._session)
            record = await connection.fetchrow(_GET_TIP, tip_id)
            return _tip_to_entity(self._sealer, RecordView(record)) if record else None
        query = select(TipRow).where(TipRow.id == tip_id).execution_options(populate_existing=True)
        query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return _tip_to_entity(self._sealer, row) if row else None

    async def get_by_receipt(self, receipt: str, *, for_update: bool = False) -> Tip | None:
        """The tip of a receipt, under any listed hash key. A receipt's hash cannot be
        re-made without the receipt, which is never stored: one found under an older hash
        key is re-hashed under the current one here, when its holder presents it (kept if
        the unit of work commits, as a successful follow-up does)."""
        hashes = self._keyring.keyed_hashes(receipt, purpose=RECEIPT_PURPOSE)
        if not for_update and len(hashes) == 1:  # the follow-up, no rotation: on the driver
            connection = await driver_connection(self._session)
            record = await connection.fetchrow(_GET_TIP_BY_RECEIPT, hashes[self._keyring.hash_kid])
            return _tip_to_entity(self._sealer, RecordView(record)) if record else None
        query = select(TipRow).where(hash_matches(col(TipRow.receipt_hash), list(hashes.values())))
        if for_update:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        if row is None:
            return None
        current = hashes[self._keyring.hash_kid]
        if row.receipt_hash != current:
            await self._session.exec(
                update(TipRow)
                .where(col(TipRow.id) == row.id)
                .values(receipt_hash=current, receipt_hash_kid=self._keyring.hash_kid)
                .execution_options(synchronize_session=False)
            )
        return _tip_to_entity(self._sealer, row)

    async def save(self, tip: Tip) -> None:
        row = await self._session.get(TipRow, tip.id)
        if row is None:
            raise LookupError(f"tip {tip.id} vanished")
        self._session.add(_tip_changes_to_row(tip, into=row))
        await self._session.flush()
        await self._add_events(tip)

    async def history(self, tip_id: uuid.UUID) -> list[TipEvent]:
        connection = await driver_connection(self._session)
        records = await connection.fetch(_HISTORY, tip_id)
        return [_event_to_entity(self._sealer, RecordView(record)) for record in records]

    async def summaries(self, tip_ids: list[uuid.UUID]) -> list[TipSummary]:
        if not tip_ids:
            return []
        query = (
            select(TipRow)
            .options(*(defer(getattr(TipRow, name)) for name in SEALED_COLUMNS))
            .where(col(TipRow.id).in_(tip_ids))
        )
        found = {row.id: _summary_to_entity(row) for row in (await self._session.exec(query))}
        return [found[tip_id] for tip_id in tip_ids if tip_id in found]

    # -- messages --------------------------------------------------------------------

    async def add_message(self, message: TipMessage) -> None:
        self._session.add(_message_to_row(self._sealer, message))
        await self._session.flush()

    async def messages(
        self, tip_id: uuid.UUID, *, include_internal: bool, newest: int | None = None
    ) -> list[TipMessage]:
        connection = await driver_connection(self._session)
        if newest is None:
            sql = _MESSAGES[(include_internal, False)]
            records = list(await connection.fetch(sql, tip_id))
        else:  # the newest ones (ix_tip_messages_tip_id_seq backwards), then oldest first
            sql = _MESSAGES[(include_internal, True)]
            records = list(reversed(await connection.fetch(sql, tip_id, newest)))
        return [_message_to_entity(self._sealer, RecordView(record)) for record in records]

    # -- links -----------------------------------------------------------------------

    async def add_link(self, link: TipLink) -> None:
        existing = select(TipLinkRow).where(
            or_(
                and_(
                    col(TipLinkRow.tip_id) == link.tip_id,
                    col(TipLinkRow.target_id) == link.target_id,
                ),
                and_(
                    col(TipLinkRow.tip_id) == link.target_id,
                    col(TipLinkRow.target_id) == link.tip_id,
                ),
            )
        )
        if (await self._session.exec(existing)).first() is not None:
            raise TipLinkExists()
        try:
            async with self._session.begin_nested():
                self._session.add(_link_to_row(link))
                await self._session.flush()
        except IntegrityError as exc:
            raise TipLinkExists() from exc

    async def links(self, tip_id: uuid.UUID, visibility: TipVisibility) -> list[LinkedTip]:
        if visibility.nothing:
            return []
        connection = await driver_connection(self._session)
        result: list[LinkedTip] = []
        for outgoing in (True, False):
            this, other = ("tip_id", "target_id") if outgoing else ("target_id", "tip_id")
            p = Params()
            conditions = [f"tip_links.{this} = {p(tip_id)}", *self._visible_sql(visibility, p)]
            sql = (
                "SELECT tips.id, tips.reference, tip_links.kind FROM tips"  # noqa: S608
                f" JOIN tip_links ON tip_links.{other} = tips.id WHERE {' AND '.join(conditions)}"
                " ORDER BY tip_links.created_at, tips.id"
            )
            for other_id, reference, kind in await connection.fetch(sql, *p.values):
                result.append(
                    LinkedTip(
                        tip_id=other_id, reference=reference, kind=LinkKind(kind), outgoing=outgoing
                    )
                )
        return result

    # -- lists -----------------------------------------------------------------------

    def list_sql(
        self,
        query: TipQuery,
        visibility: TipVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> tuple[str, list[Any]]:
        """The list query and its values (also EXPLAINed by bench/tips_explain.py): the
        summary columns only, no sealed column read; newest first, keyset-paginated."""
        p = Params()
        conditions = self._visible_sql(visibility, p)
        if query.province_code is not None:
            conditions.append(f"province_code = {p(query.province_code)}")
        if query.status is not None:
            conditions.append(f"status = {p(query.status.value)}")
        if query.category is not None:
            conditions.append(f"category = {p(query.category.value)}")
        if query.received_from is not None:
            conditions.append(f"received_at >= {p(query.received_from)}")
        if query.received_to is not None:
            conditions.append(f"received_at < {p(query.received_to)}")
        if query.overdue is not None:
            conditions.append(_overdue_sql(query.overdue, p(now)))
        if page.after is not None:
            at, after = p(page.after.at), p(page.after.id)
            conditions.append(f"(received_at, id) < ({at}::timestamptz, {after}::uuid)")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = (
            f"SELECT {_SUMMARY_SQL} FROM tips{where}"  # noqa: S608 - fixed parts, values bound
            f" ORDER BY received_at DESC, id DESC LIMIT {p(page.fetch)}"
        )
        return sql, p.values

    async def list(
        self,
        query: TipQuery,
        visibility: TipVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> list[TipSummary]:
        sql, values = self.list_sql(query, visibility, page=page, now=now)
        connection = await driver_connection(self._session)
        return [_summary_of_record(r) for r in await connection.fetch(sql, *values)]


class SqlDisclosureRepository:
    """The identity vault's requests (domain/tips/disclosures.py); reasons sealed."""

    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._sealer = FieldSealer(keyring)

    async def add(self, request: DisclosureRequest) -> None:
        self._session.add(_disclosure_to_row(self._sealer, request))
        await self._session.flush()

    async def get(
        self, request_id: uuid.UUID, *, for_update: bool = False
    ) -> DisclosureRequest | None:
        query = (
            select(TipDisclosureRow)
            .where(TipDisclosureRow.id == request_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return _disclosure_to_entity(self._sealer, row) if row else None

    async def save(self, request: DisclosureRequest) -> None:
        row = await self._session.get(TipDisclosureRow, request.id)
        if row is None:
            raise LookupError(f"disclosure request {request.id} vanished")
        self._session.add(_disclosure_to_row(self._sealer, request, into=row))
        await self._session.flush()

    async def approved_for(
        self, tip_id: uuid.UUID, account_id: uuid.UUID
    ) -> DisclosureRequest | None:
        # Every official's read of a tip asks: on the driver.
        connection = await driver_connection(self._session)
        approved = DisclosureStatus.APPROVED.value
        record = await connection.fetchrow(_APPROVED_FOR, tip_id, account_id, approved)
        return _disclosure_to_entity(self._sealer, RecordView(record)) if record else None

    async def any_approved(self, tip_id: uuid.UUID) -> bool:
        connection = await driver_connection(self._session)
        approved = DisclosureStatus.APPROVED.value
        return await connection.fetchval(_ANY_APPROVED, tip_id, approved) is not None

    async def list(
        self,
        *,
        status: DisclosureStatus | None,
        requested_by: uuid.UUID | None,
        page: PageRequest[Cursor],
    ) -> list[DisclosureSummary]:
        conditions: list[ColumnElement[bool]] = []
        if status is not None:
            conditions.append(col(TipDisclosureRow.status) == status.value)
        if requested_by is not None:
            conditions.append(col(TipDisclosureRow.requested_by) == requested_by)
        if page.after is not None:
            conditions.append(
                tuple_(col(TipDisclosureRow.requested_at), col(TipDisclosureRow.id))
                < tuple_(page.after.at, page.after.id)
            )
        query = (
            select(TipDisclosureRow)
            .options(defer(TipDisclosureRow.reason), defer(TipDisclosureRow.decision_reason))  # type: ignore[arg-type]
            .where(*conditions)
            .order_by(col(TipDisclosureRow.requested_at).desc(), col(TipDisclosureRow.id).desc())
            .limit(page.fetch)
        )
        return [_disclosure_summary_to_entity(row) for row in (await self._session.exec(query))]
