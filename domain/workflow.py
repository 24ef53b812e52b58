"""Status changes, written once: a table of named moves (from which statuses, to which
status, under which policy action, recorded as which audit action), checked in one place.

A feature declares its table once in its model (`VOLUNTEER_WORKFLOW = Workflow(...)`);
the entity asks it for the target of a move (an InvalidTransition, 409, when the move is
not allowed from the current status); use cases and routes read the policy action and the
audit action from the same row, so adding a move is one line plus its rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from domain.audit.model import AuditAction
from domain.errors import InvalidTransition
from domain.policy import Action

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Move(Generic[S]):
    """One named status change: `name` is also its URL segment (`POST .../{id}/<name>`)."""

    name: str
    sources: frozenset[S]
    target: S
    action: Action
    audit_action: AuditAction
    summary: str = ""


class Workflow(Generic[S]):
    def __init__(self, entity: str, moves: Iterable[Move[S]]) -> None:
        self.entity = entity
        self._moves = {move.name: move for move in moves}

    def __iter__(self) -> Iterator[Move[S]]:
        return iter(self._moves.values())

    def __getitem__(self, name: str) -> Move[S]:
        return self._moves[name]

    def target(self, name: str, current: S) -> S:
        """The status the move leads to from `current`, or InvalidTransition (409)."""
        move = self._moves[name]
        if current not in move.sources:
            raise InvalidTransition(self.entity, current.value, move.target.value)
        return move.target
