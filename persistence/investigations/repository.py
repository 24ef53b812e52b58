"""Investigations: repository. Case content is sealed here, opened here.

Sealed at rest with the unit of work's KeyRing (persistence/crypto.py FieldSealer): the
title and findings of an investigation, and the content of each timeline entry (its
reason or note, its evidence record, the names of the fields an update changed). The
associated data binds each value to its row and field (`investigation:<id>:title`).
Statuses, outcomes, priorities, dates, ids and kinds stay readable: lists filter on them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, false, func, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.investigations.access import InvestigationVisibility
from domain.investigations.errors import AlreadyReferred, TipAlreadyInvestigated
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
from domain.investigations.ports import InvestigationQuery, ReferralQuery, ReferralSummary
from domain.investigations.referrals import Referral, ReferralStatus
from domain.pagination import Cursor, PageRequest, SeqCursor
from domain.tips.deadlines import BANGKOK
from persistence.crypto import FieldSealer, KeyRing, SealedColumn
from persistence.investigations.tables import (
    InvestigationAssignmentRow,
    InvestigationCounterRow,
    InvestigationRow,
    InvestigationTimelineRow,
    InvestigationTipRow,
    ReferralRow,
)
from persistence.tips.tables import TipRow


def _aad(investigation_id: uuid.UUID, field: str) -> str:
    return f"investigation:{investigation_id}:{field}"


def _entry_aad(investigation_id: uuid.UUID, entry_id: uuid.UUID) -> str:
    return f"investigation_timeline:{investigation_id}:{entry_id}:content"


# -- rows <-> entities (the only place that knows both) -----------------------------------


def _to_entity(
    s: FieldSealer,
    row: InvestigationRow,
    tips: list[InvestigationTipRow],
    assignments: list[InvestigationAssignmentRow],
    recused_province_codes: frozenset[str],
) -> Investigation:
    title = s.open(row.title, _aad(row.id, "title"))
    assert title is not None
    return Investigation(
        id=row.id,
        reference=row.reference,
        title=title,
        lead_province_code=row.lead_province_code,
        priority=Priority(row.priority),
        status=InvestigationStatus(row.status),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        due_on=row.due_on,
        outcome=InvestigationOutcome(row.outcome) if row.outcome else None,
        findings=s.open(row.findings, _aad(row.id, "findings")),
        concluded_at=row.concluded_at,
        damage_estimated_thb=row.damage_estimated_thb,
        amount_recovered_thb=row.amount_recovered_thb,
        version=row.version,
        tips=[_tip_to_entity(tip) for tip in tips],
        assignments=[_assignment_to_entity(a) for a in assignments],
        recused_province_codes=recused_province_codes,
    )


def _to_row(
    s: FieldSealer, investigation: Investigation, into: InvestigationRow | None = None
) -> InvestigationRow:
    """A new row, or `into` brought up to date (tips, assignments and the timeline are
    rows of their own)."""
    i = investigation
    row = into or InvestigationRow(
        id=i.id,
        reference=i.reference,
        created_at=i.created_at,
        created_by=i.created_by,
        lead_province_code=i.lead_province_code,
        priority=i.priority.value,
        status=i.status.value,
        updated_at=i.updated_at,
        title=b"",
    )
    row.lead_province_code = i.lead_province_code
    row.priority = i.priority.value
    row.status = i.status.value
    row.outcome = i.outcome.value if i.outcome else None
    row.due_on = i.due_on
    row.updated_at = i.updated_at
    row.concluded_at = i.concluded_at
    row.damage_estimated_thb = i.damage_estimated_thb
    row.amount_recovered_thb = i.amount_recovered_thb
    row.title = s.seal(i.title, _aad(i.id, "title")) or b""
    row.findings = s.seal(i.findings, _aad(i.id, "findings"))
    row.version = i.version
    return row


def _tip_to_entity(row: InvestigationTipRow) -> InvestigationTip:
    return InvestigationTip(tip_id=row.tip_id, linked_at=row.linked_at)


def _tip_to_row(
    tip: InvestigationTip, *, investigation_id: uuid.UUID, position: int, open: bool
) -> InvestigationTipRow:
    return InvestigationTipRow(
        investigation_id=investigation_id,
        tip_id=tip.tip_id,
        position=position,
        linked_at=tip.linked_at,
        open=open,
    )


def _assignment_to_entity(row: InvestigationAssignmentRow) -> Assignment:
    return Assignment(
        account_id=row.account_id,
        role=AssignmentRole(row.role),
        assigned_at=row.assigned_at,
        assigned_by=row.assigned_by,
    )


def _assignment_to_row(
    assignment: Assignment, *, investigation_id: uuid.UUID
) -> InvestigationAssignmentRow:
    return InvestigationAssignmentRow(
        investigation_id=investigation_id,
        account_id=assignment.account_id,
        role=assignment.role.value,
        assigned_at=assignment.assigned_at,
        assigned_by=assignment.assigned_by,
    )


def _evidence_document(evidence: Evidence) -> dict[str, Any]:
    return {
        "item": evidence.item,
        "source": evidence.source,
        "location": evidence.location,
        "custodian": evidence.custodian,
        "obtained_at": evidence.obtained_at.isoformat() if evidence.obtained_at else None,
    }


def _evidence_of(document: dict[str, Any]) -> Evidence:
    obtained = document.get("obtained_at")
    return Evidence(
        item=document["item"],
        source=document["source"],
        location=document["location"],
        custodian=document["custodian"],
        obtained_at=datetime.fromisoformat(obtained) if obtained else None,
    )


def _entry_to_row(s: FieldSealer, entry: TimelineEntry) -> InvestigationTimelineRow:
    content: dict[str, Any] = {}
    if entry.text is not None:
        content["text"] = entry.text
    if entry.evidence is not None:
        content["evidence"] = _evidence_document(entry.evidence)
    if entry.fields:
        content["fields"] = list(entry.fields)
    return InvestigationTimelineRow(
        id=entry.id,
        seq=entry.seq,
        investigation_id=entry.investigation_id,
        at=entry.at,
        kind=entry.kind.value,
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        from_status=entry.from_status.value if entry.from_status else None,
        to_status=entry.to_status.value if entry.to_status else None,
        outcome=entry.outcome.value if entry.outcome else None,
        subject_id=entry.subject_id,
        assignment_role=entry.assignment_role.value if entry.assignment_role else None,
        agency_code=entry.agency_code,
        referral_status=entry.referral_status,
        content=s.seal_json(content or None, _entry_aad(entry.investigation_id, entry.id)),
    )


def _entry_to_entity(s: FieldSealer, row: InvestigationTimelineRow) -> TimelineEntry:
    content = s.open_json(row.content, _entry_aad(row.investigation_id, row.id)) or {}
    evidence = content.get("evidence")
    return TimelineEntry(
        id=row.id,
        investigation_id=row.investigation_id,
        at=row.at,
        kind=TimelineKind(row.kind),
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        from_status=InvestigationStatus(row.from_status) if row.from_status else None,
        to_status=InvestigationStatus(row.to_status) if row.to_status else None,
        outcome=InvestigationOutcome(row.outcome) if row.outcome else None,
        subject_id=row.subject_id,
        assignment_role=AssignmentRole(row.assignment_role) if row.assignment_role else None,
        text=content.get("text"),
        evidence=_evidence_of(evidence) if evidence else None,
        fields=tuple(content.get("fields", ())),
        agency_code=row.agency_code,
        referral_status=row.referral_status,
        seq=row.seq,
    )


def _referral_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:summary"


#: Every sealed column of the feature, for key rotation (persistence/keys).
SEALED = (
    SealedColumn("investigations", "title", lambda row: _aad(row.id, "title")),
    SealedColumn("investigations", "findings", lambda row: _aad(row.id, "findings")),
    SealedColumn(
        "investigation_timeline",
        "content",
        lambda row: _entry_aad(row.investigation_id, row.id),
        ("id", "investigation_id"),
    ),
    SealedColumn("referrals", "summary", lambda row: _referral_aad(row.id)),
)


def _referral_to_entity(s: FieldSealer, row: ReferralRow, investigation_reference: str) -> Referral:
    summary = s.open(row.summary, _referral_aad(row.id))
    assert summary is not None
    return Referral(
        id=row.id,
        investigation_id=row.investigation_id,
        investigation_reference=investigation_reference,
        agency_code=row.agency_code,
        summary=summary,
        status=ReferralStatus(row.status),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        version=row.version,
    )


def _referral_to_row(
    s: FieldSealer, referral: Referral, into: ReferralRow | None = None
) -> ReferralRow:
    """A new row (everything, the summary sealed), or `into` with what changes: the status."""
    row = into or ReferralRow(
        id=referral.id,
        investigation_id=referral.investigation_id,
        agency_code=referral.agency_code,
        status=referral.status.value,
        summary=s.seal(referral.summary, _referral_aad(referral.id)) or b"",
        created_at=referral.created_at,
        created_by=referral.created_by,
        updated_at=referral.updated_at,
    )
    row.status = referral.status.value
    row.updated_at = referral.updated_at
    row.version = referral.version
    return row


def _referral_summary_to_entity(row: ReferralRow, investigation_reference: str) -> ReferralSummary:
    return ReferralSummary(
        id=row.id,
        investigation_reference=investigation_reference,
        agency_code=row.agency_code,
        status=ReferralStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _summary_to_entity(
    row: InvestigationRow, *, tips_count: int, lead_investigator_id: uuid.UUID | None
) -> InvestigationSummary:
    return InvestigationSummary(
        id=row.id,
        reference=row.reference,
        lead_province_code=row.lead_province_code,
        priority=Priority(row.priority),
        status=InvestigationStatus(row.status),
        outcome=InvestigationOutcome(row.outcome) if row.outcome else None,
        due_on=row.due_on,
        created_at=row.created_at,
        updated_at=row.updated_at,
        tips_count=tips_count,
        lead_investigator_id=lead_investigator_id,
    )


#: Columns a list never needs: not even loaded (and never decrypted) for summaries.
SEALED_COLUMNS = ("title", "findings")


def _recused_from(province_code: str) -> ColumnElement[bool]:
    """The investigation links a tip recused from this province."""
    return exists(
        select(InvestigationTipRow.tip_id)
        .join(TipRow, col(TipRow.id) == col(InvestigationTipRow.tip_id))
        .where(
            col(InvestigationTipRow.investigation_id) == col(InvestigationRow.id),
            col(TipRow.recused_province_code) == province_code,
        )
    )


def _assigned_to(account_id: uuid.UUID) -> ColumnElement[bool]:
    return exists(
        select(InvestigationAssignmentRow.account_id).where(
            col(InvestigationAssignmentRow.investigation_id) == col(InvestigationRow.id),
            col(InvestigationAssignmentRow.account_id) == account_id,
        )
    )


class SqlInvestigationRepository:
    """Also the tips feature's `AssignedTips`: which tips an investigator handles."""

    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._sealer = FieldSealer(keyring)

    async def next_sequence(self, year: int) -> int:
        table = InvestigationCounterRow.__table__  # type: ignore[attr-defined]
        statement = (
            insert(InvestigationCounterRow)
            .values(year=year, last_seq=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last_seq": table.c.last_seq + 1})
            .returning(col(InvestigationCounterRow.last_seq))
        )
        value: int = (await self._session.exec(statement)).scalar_one()
        return value

    async def add(self, investigation: Investigation) -> None:
        self._session.add(_to_row(self._sealer, investigation))
        await self._session.flush()
        try:
            async with self._session.begin_nested():
                for position, tip in enumerate(investigation.tips):
                    self._session.add(
                        _tip_to_row(
                            tip,
                            investigation_id=investigation.id,
                            position=position,
                            open=investigation.is_open,
                        )
                    )
                await self._session.flush()
        except IntegrityError as exc:
            if "uq_investigation_tips_tip_id_open" in str(exc.orig):
                raise TipAlreadyInvestigated() from exc
            raise
        await self._write_assignments(investigation)
        await self.append_timeline(investigation)

    async def _load(self, row: InvestigationRow | None) -> Investigation | None:
        if row is None:
            return None
        tips = (
            await self._session.exec(
                select(InvestigationTipRow)
                .where(InvestigationTipRow.investigation_id == row.id)
                .order_by(col(InvestigationTipRow.position))
            )
        ).all()
        assignments = (
            await self._session.exec(
                select(InvestigationAssignmentRow)
                .where(InvestigationAssignmentRow.investigation_id == row.id)
                .order_by(
                    col(InvestigationAssignmentRow.assigned_at),
                    col(InvestigationAssignmentRow.account_id),
                )
            )
        ).all()
        recused = (
            await self._session.exec(
                select(TipRow.recused_province_code)
                .join(InvestigationTipRow, col(InvestigationTipRow.tip_id) == col(TipRow.id))
                .where(
                    InvestigationTipRow.investigation_id == row.id,
                    col(TipRow.recused_province_code).is_not(None),
                )
                .distinct()
            )
        ).all()
        return _to_entity(
            self._sealer,
            row,
            list(tips),
            list(assignments),
            frozenset(code for code in recused if code is not None),
        )

    async def get(
        self, investigation_id: uuid.UUID, *, for_update: bool = False
    ) -> Investigation | None:
        query = (
            select(InvestigationRow)
            .where(InvestigationRow.id == investigation_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        return await self._load((await self._session.exec(query)).first())

    async def save(self, investigation: Investigation) -> None:
        row = await self._session.get(InvestigationRow, investigation.id)
        if row is None:
            raise LookupError(f"investigation {investigation.id} vanished")
        self._session.add(_to_row(self._sealer, investigation, into=row))
        await self._session.flush()
        await self._session.exec(
            update(InvestigationTipRow)
            .where(
                col(InvestigationTipRow.investigation_id) == investigation.id,
                col(InvestigationTipRow.open) != investigation.is_open,
            )
            .values(open=investigation.is_open)
        )
        await self._write_assignments(investigation)
        await self.append_timeline(investigation)

    async def _write_assignments(self, investigation: Investigation) -> None:
        """The assignments table becomes the entity's list: the rows are replaced (a team
        is a handful of rows), so a new lead and the old one becoming a member never
        meet in the one-lead unique index."""
        await self._session.exec(
            delete(InvestigationAssignmentRow).where(
                col(InvestigationAssignmentRow.investigation_id) == investigation.id
            )
        )
        for assignment in investigation.assignments:
            self._session.add(_assignment_to_row(assignment, investigation_id=investigation.id))
        await self._session.flush()

    async def append_timeline(self, investigation: Investigation) -> None:
        for entry in investigation.new_entries:
            self._session.add(_entry_to_row(self._sealer, entry))
        investigation.new_entries.clear()
        await self._session.flush()

    async def tip_ids_assigned_to(self, account_id: uuid.UUID) -> frozenset[uuid.UUID]:
        query = (
            select(InvestigationTipRow.tip_id)
            .join(
                InvestigationAssignmentRow,
                col(InvestigationAssignmentRow.investigation_id)
                == col(InvestigationTipRow.investigation_id),
            )
            .where(InvestigationAssignmentRow.account_id == account_id)
        )
        return frozenset((await self._session.exec(query)).all())

    async def timeline(
        self, investigation_id: uuid.UUID, *, page: PageRequest[SeqCursor]
    ) -> list[TimelineEntry]:
        query = select(InvestigationTimelineRow).where(
            InvestigationTimelineRow.investigation_id == investigation_id
        )
        if page.after is not None:
            query = query.where(col(InvestigationTimelineRow.seq) > page.after.seq)
        query = query.order_by(col(InvestigationTimelineRow.seq)).limit(page.fetch)
        rows = (await self._session.exec(query)).all()
        return [_entry_to_entity(self._sealer, row) for row in rows]

    # -- lists -----------------------------------------------------------------------

    def _visible(self, visibility: InvestigationVisibility) -> list[ColumnElement[bool]]:
        if visibility.everything:
            return []
        if visibility.province_code is not None:
            code = visibility.province_code
            return [col(InvestigationRow.lead_province_code) == code, ~_recused_from(code)]
        if visibility.assignee_id is not None:
            return [_assigned_to(visibility.assignee_id)]
        return [false()]

    async def list(
        self,
        query: InvestigationQuery,
        visibility: InvestigationVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> list[InvestigationSummary]:
        conditions = self._visible(visibility)
        if query.status is not None:
            conditions.append(col(InvestigationRow.status) == query.status.value)
        if query.province_code is not None:
            conditions.append(col(InvestigationRow.lead_province_code) == query.province_code)
        if query.priority is not None:
            conditions.append(col(InvestigationRow.priority) == query.priority.value)
        if query.assignee_id is not None:
            conditions.append(_assigned_to(query.assignee_id))
        if query.agency_code is not None:
            conditions.append(
                exists(
                    select(ReferralRow.id).where(
                        col(ReferralRow.investigation_id) == col(InvestigationRow.id),
                        col(ReferralRow.agency_code) == query.agency_code,
                    )
                )
            )
        if query.overdue is not None:
            overdue = and_(
                col(InvestigationRow.due_on) < now.astimezone(BANGKOK).date(),
                col(InvestigationRow.status) != InvestigationStatus.CONCLUDED.value,
            )
            conditions.append(overdue if query.overdue else ~overdue)
        if page.after is not None:
            conditions.append(
                tuple_(col(InvestigationRow.created_at), col(InvestigationRow.id))
                < tuple_(page.after.at, page.after.id)
            )
        tips_count = (
            select(func.count())
            .where(col(InvestigationTipRow.investigation_id) == col(InvestigationRow.id))
            .scalar_subquery()
        )
        lead = (
            select(InvestigationAssignmentRow.account_id)
            .where(
                col(InvestigationAssignmentRow.investigation_id) == col(InvestigationRow.id),
                col(InvestigationAssignmentRow.role) == AssignmentRole.LEAD.value,
            )
            .scalar_subquery()
        )
        statement = (
            select(InvestigationRow, tips_count, lead)
            .options(*(defer(getattr(InvestigationRow, name)) for name in SEALED_COLUMNS))
            .where(*conditions)
            .order_by(col(InvestigationRow.created_at).desc(), col(InvestigationRow.id).desc())
            .limit(page.fetch)
        )
        rows = (await self._session.exec(statement)).all()
        return [
            _summary_to_entity(row, tips_count=count, lead_investigator_id=lead_id)
            for row, count, lead_id in rows
        ]


class SqlReferralRepository:
    """Referrals to partner agencies; their steps live on the investigation's timeline."""

    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._sealer = FieldSealer(keyring)

    def _select(self) -> Any:
        return select(ReferralRow, InvestigationRow.reference).join(
            InvestigationRow, col(InvestigationRow.id) == col(ReferralRow.investigation_id)
        )

    async def add(self, referral: Referral, entry: TimelineEntry) -> None:
        try:
            async with self._session.begin_nested():
                self._session.add(_referral_to_row(self._sealer, referral))
                await self._session.flush()
        except IntegrityError as exc:
            if "uq_referrals_investigation_id_active" in str(exc.orig):
                raise AlreadyReferred() from exc
            raise
        self._session.add(_entry_to_row(self._sealer, entry))
        await self._session.flush()

    async def get(self, referral_id: uuid.UUID, *, for_update: bool = False) -> Referral | None:
        query = (
            self._select()
            .where(col(ReferralRow.id) == referral_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update(of=ReferralRow)
        found = (await self._session.exec(query)).first()
        return None if found is None else _referral_to_entity(self._sealer, *found)

    async def save(self, referral: Referral, entry: TimelineEntry) -> None:
        row = await self._session.get(ReferralRow, referral.id)
        if row is None:
            raise LookupError(f"referral {referral.id} vanished")
        self._session.add(_referral_to_row(self._sealer, referral, into=row))
        self._session.add(_entry_to_row(self._sealer, entry))
        await self._session.flush()

    async def of_investigation(self, investigation_id: uuid.UUID) -> list[Referral]:
        query = (
            self._select()
            .where(col(ReferralRow.investigation_id) == investigation_id)
            .order_by(col(ReferralRow.created_at), col(ReferralRow.id))
        )
        return [
            _referral_to_entity(self._sealer, row, reference)
            for row, reference in (await self._session.exec(query)).all()
        ]

    async def updates(self, referral: Referral) -> list[TimelineEntry]:
        query = (
            select(InvestigationTimelineRow)
            .where(
                col(InvestigationTimelineRow.investigation_id) == referral.investigation_id,
                col(InvestigationTimelineRow.subject_id) == referral.id,
                col(InvestigationTimelineRow.kind).in_(
                    [TimelineKind.REFERRED.value, TimelineKind.REFERRAL_UPDATED.value]
                ),
            )
            .order_by(col(InvestigationTimelineRow.seq))
        )
        rows = (await self._session.exec(query)).all()
        return [_entry_to_entity(self._sealer, row) for row in rows]

    async def list(
        self, query: ReferralQuery, *, only_agency: str | None, page: PageRequest[Cursor]
    ) -> list[ReferralSummary]:
        conditions: list[ColumnElement[bool]] = []
        if only_agency is not None:
            conditions.append(col(ReferralRow.agency_code) == only_agency)
        if query.agency_code is not None:
            conditions.append(col(ReferralRow.agency_code) == query.agency_code)
        if query.status is not None:
            conditions.append(col(ReferralRow.status) == query.status.value)
        if page.after is not None:
            conditions.append(
                tuple_(col(ReferralRow.created_at), col(ReferralRow.id))
                < tuple_(page.after.at, page.after.id)
            )
        statement = (
            self._select()
            .options(defer(ReferralRow.summary))  # type: ignore[arg-type]
            .where(*conditions)
            .order_by(col(ReferralRow.created_at).desc(), col(ReferralRow.id).desc())
            .limit(page.fetch)
        )
        return [
            _referral_summary_to_entity(row, reference)
            for row, reference in (await self._session.exec(statement)).all()
        ]
