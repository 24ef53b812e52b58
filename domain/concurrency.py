"""Optimistic concurrency, written once for every feature with versioned records.

A record carries a `version` that every change increments. A client reads it (the API
sends it as an ETag), then sends it back with its change (If-Match); a change made
against an older version is refused rather than silently overwriting someone else's.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import PreconditionFailed, PreconditionRequired


@dataclass(frozen=True, slots=True)
class VersionMatch:
    """An If-Match precondition: any current version (`*`), or one of these versions."""

    versions: frozenset[int] = frozenset()
    any_version: bool = False

    def matches(self, version: int) -> bool:
        return self.any_version or version in self.versions


def require_version(entity: str, version: int, expected: VersionMatch | None) -> None:
    """Refuse an unconditional change (428) and a change against a stale version (412).

    Call it after the record is loaded *for update* (row-locked), so that two concurrent
    changes with the same If-Match cannot both pass.
    """
    if expected is None:
        raise PreconditionRequired(
            f"Send If-Match with the ETag of the {entity} you read (GET it first)."
        )
    if not expected.matches(version):
        raise PreconditionFailed(
            f"The {entity} was changed since you read it: GET it again and retry."
        )
