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
    DateTime,
    Row,
    Select,
    Table,
    and_,
    false,
    func,
    literal,
    or_,
    tuple_,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert
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
from persistence.tips.tables import (
    TipCounterRow,
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


def _tip_to_entity(s: FieldSealer, row: TipRow) -> Tip:
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


def _summary_to_entity(row: TipRow | Row[Any]) -> TipSummary:
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


def _event_to_entity(s: FieldSealer, row: TipEventRow) -> TipEvent:
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


def _message_to_entity(s: FieldSealer, row: TipMessageRow) -> TipMessage:
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


def _disclosure_to_entity(s: FieldSealer, row: TipDisclosureRow) -> DisclosureRequest:
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


def overdue_predicate(kind: OverdueKind, now: datetime) -> ColumnElement[bool]:
    """The SQL twin of domain.tips.deadlines: passed without the act, or the act came late.

    Plus a redundant bound that lets the newest-first index skip the tips too young to be
    overdue: a breached deadline has passed, so the tip was received more than its own
    window (deadline - receipt) ago, hence more than the smallest window of any tip ago
    (an index lookup, so settings may change without making the bound wrong). For a late
    act this holds because the act happened before now.
    """
    if kind is OverdueKind.ACK:
        done, due = col(TipRow.acknowledged_at), col(TipRow.ack_due_at)
    else:
        done, due = col(TipRow.first_feedback_at), col(TipRow.feedback_due_at)
    received = col(TipRow.received_at)
    smallest_window = select(func.min(due - received)).scalar_subquery()
    at = literal(now, DateTime(timezone=True))
    return and_(received < at - smallest_window, or_(and_(done.is_(None), due < at), done > due))


#: Columns a list never needs: not even loaded (and never decrypted) for summaries.
SEALED_COLUMNS = ("description", "accused", "location", "contact", "reporter")


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

    def _visible(self, visibility: TipVisibility) -> list[ColumnElement[bool]]:
        if visibility.everything:
            return []
        if visibility.province_code is not None:
            code = visibility.province_code
            return [
                col(TipRow.province_code) == code,
                or_(
                    col(TipRow.recused_province_code).is_(None),
                    col(TipRow.recused_province_code) != code,
                ),
            ]
        if visibility.reporter_id is not None:
            hashes = self._reporter_hashes(visibility.reporter_id)
            return [hash_matches(col(TipRow.reporter_hash), hashes)]
        if visibility.tip_ids:
            return [col(TipRow.id).in_(sorted(visibility.tip_ids))]
        return [false()]

    # -- tips ------------------------------------------------------------------------

    async def next_sequence(self, year: int) -> int:
        table = TipCounterRow.__table__  # type: ignore[attr-defined]
        statement = (
            insert(TipCounterRow)
            .values(year=year, last_seq=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last_seq": table.c.last_seq + 1})
            .returning(col(TipCounterRow.last_seq))
        )
        result = await self._session.exec(statement)
        value: int = result.scalar_one()
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
        # Core inserts of the mapped rows' values: intake is the hottest write, and the
        # ORM's flush cost more than the statements. Nothing reads these rows back through
        # the session's identity map in the same unit of work.
        connection = await self._session.connection()
        await connection.execute(insert(_TIPS).values(**_column_values(row)))
        await self._add_events(tip)

    async def _add_events(self, tip: Tip) -> None:
        if not tip.new_events:
            return
        rows = [_column_values(_event_to_row(self._sealer, e)) for e in tip.new_events]
        tip.new_events.clear()
        connection = await self._session.connection()
        await connection.execute(insert(_EVENTS), rows)

    async def get(self, tip_id: uuid.UUID, *, for_update: bool = False) -> Tip | None:
        query = select(TipRow).where(TipRow.id == tip_id).execution_options(populate_existing=True)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return _tip_to_entity(self._sealer, row) if row else None

    async def get_by_receipt(self, receipt: str, *, for_update: bool = False) -> Tip | None:
        """The tip of a receipt, under any listed hash key. A receipt's hash cannot be
        re-made without the receipt, which is never stored: one found under an older hash
        key is re-hashed under the current one here, when its holder presents it (kept if
        the unit of work commits, as a successful follow-up does)."""
        hashes = self._keyring.keyed_hashes(receipt, purpose=RECEIPT_PURPOSE)
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
        query = (
            select(TipEventRow).where(TipEventRow.tip_id == tip_id).order_by(col(TipEventRow.seq))
        )
        rows = (await self._session.exec(query)).all()
        return [_event_to_entity(self._sealer, row) for row in rows]

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
        query = select(TipMessageRow).where(TipMessageRow.tip_id == tip_id)
        if not include_internal:
            query = query.where(col(TipMessageRow.internal).is_(False))
        if newest is None:
            rows = list((await self._session.exec(query.order_by(col(TipMessageRow.seq)))).all())
        else:  # the newest ones (ix_tip_messages_tip_id_seq backwards), then oldest first
            query = query.order_by(col(TipMessageRow.seq).desc()).limit(newest)
            rows = list(reversed((await self._session.exec(query)).all()))
        return [_message_to_entity(self._sealer, row) for row in rows]

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
        result: list[LinkedTip] = []
        for outgoing in (True, False):
            this = col(TipLinkRow.tip_id) if outgoing else col(TipLinkRow.target_id)
            other = col(TipLinkRow.target_id) if outgoing else col(TipLinkRow.tip_id)
            query = (
                select(TipRow.id, TipRow.reference, TipLinkRow.kind)
                .join(TipLinkRow, other == col(TipRow.id))
                .where(this == tip_id, *self._visible(visibility))
                .order_by(col(TipLinkRow.created_at), col(TipRow.id))
            )
            for other_id, reference, kind in (await self._session.exec(query)).all():
                result.append(
                    LinkedTip(
                        tip_id=other_id, reference=reference, kind=LinkKind(kind), outgoing=outgoing
                    )
                )
        return result

    # -- lists -----------------------------------------------------------------------

    def list_statement(
        self,
        query: TipQuery,
        visibility: TipVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> Select[Any]:
        """The list query (also used by bench/tips_explain.py to EXPLAIN it): a Core
        select of the summary columns only; no sealed column is read, no ORM row built."""
        conditions = self._visible(visibility)
        if query.province_code is not None:
            conditions.append(col(TipRow.province_code) == query.province_code)
        if query.status is not None:
            conditions.append(col(TipRow.status) == query.status.value)
        if query.category is not None:
            conditions.append(col(TipRow.category) == query.category.value)
        if query.received_from is not None:
            conditions.append(col(TipRow.received_at) >= query.received_from)
        if query.received_to is not None:
            conditions.append(col(TipRow.received_at) < query.received_to)
        if query.overdue is not None:
            conditions.append(overdue_predicate(query.overdue, now))
        if page.after is not None:
            conditions.append(
                tuple_(col(TipRow.received_at), col(TipRow.id))
                < tuple_(page.after.at, page.after.id)
            )
        return (
            sa_select(*_SUMMARY_COLUMNS)
            .where(*conditions)
            .order_by(col(TipRow.received_at).desc(), col(TipRow.id).desc())
            .limit(page.fetch)
        )

    async def list(
        self,
        query: TipQuery,
        visibility: TipVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> list[TipSummary]:
        statement = self.list_statement(query, visibility, page=page, now=now)
        connection = await self._session.connection()
        rows = (await connection.execute(statement)).all()
        return [_summary_to_entity(row) for row in rows]


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
        query = (
            select(TipDisclosureRow)
            .where(
                TipDisclosureRow.tip_id == tip_id,
                TipDisclosureRow.requested_by == account_id,
                TipDisclosureRow.status == DisclosureStatus.APPROVED.value,
            )
            .order_by(col(TipDisclosureRow.decided_at).desc())
            .limit(1)
        )
        row = (await self._session.exec(query)).first()
        return _disclosure_to_entity(self._sealer, row) if row else None

    async def any_approved(self, tip_id: uuid.UUID) -> bool:
        query = select(TipDisclosureRow.id).where(
            TipDisclosureRow.tip_id == tip_id,
            TipDisclosureRow.status == DisclosureStatus.APPROVED.value,
        )
        return (await self._session.exec(query.limit(1))).first() is not None

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
