"""Small-count suppression of published tables (pure; no I/O).

A published table is a set of **cells** (a count each) and **groups**: a group says that
one cell (its total) is the sum of others (its members), as a province table's region
total is the sum of the region's provinces, and the national total the sum of the
regions (and also of the twelve months). A reader who sees the published cells can write
one linear equation per group; suppressing a cell is useless if those equations still
determine it.

The rule:

1. **Primary suppression**: every cell under `threshold` (5), zero included, is hidden.
2. **Complementary suppression**, repeated until nothing changes:
   a. a group with exactly one hidden cell (member or total) would give it away by
      subtraction: hide one more cell of the group, the smallest non-zero published
      member (else the total, else any member);
   b. a group whose total is published and whose hidden members sum to 0 would give
      them away too (they can only all be 0): hide one more non-zero cell of it;
   c. finally the whole system of equations is solved exactly (rational Gaussian
      elimination over the hidden cells): a hidden cell that the published cells still
      determine (its unit vector lies in the row space of the equations) gets one more
      cell hidden in one of its groups, and the check runs again.

The result never publishes a cell under the threshold, and no hidden cell can be
computed from the published ones by the equations of the groups (tests/statistics try).

Sub-counts: a measure that counts part of another's records (tips acknowledged in time
are some of the tips received) is suppressed wherever the larger one is (`also=`):
published, it would bound the hidden cell from below (acknowledged 6 of a hidden
"received" in a group whose hidden cells sum to 6 would pin it).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

THRESHOLD = 5

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Group(Generic[K]):
    """`total` = sum of `members` (all cells of the same table family)."""

    total: K
    members: tuple[K, ...]


def suppress(
    values: Mapping[K, int],
    groups: Sequence[Group[K]],
    *,
    threshold: int = THRESHOLD,
    also: Iterable[K] = (),
) -> set[K]:
    """The cells to hide (primary and complementary) so that none under `threshold` is
    published or can be recovered from the published cells and the groups' sums.
    `also`: cells to hide whatever their value (a sub-count of a hidden cell of another
    table, which would otherwise bound it)."""
    hidden = {cell for cell, value in values.items() if value < threshold}
    hidden |= {cell for cell in also if cell in values}
    while True:
        if _protect_groups(values, groups, hidden):
            continue
        exposed = determined_cells(values, groups, hidden)
        if not exposed:
            return hidden
        cell = min(exposed, key=repr)
        if not _hide_one_more(values, [g for g in groups if cell in _cells(g)], hidden):
            # Every cell of its groups is hidden already: hide the smallest published cell.
            rest = [c for c in values if c not in hidden]
            if not rest:
                return hidden
            hidden.add(min(rest, key=lambda c: (values[c], repr(c))))


def _cells(group: Group[K]) -> tuple[K, ...]:
    return (group.total, *group.members)


def _protect_groups(values: Mapping[K, int], groups: Sequence[Group[K]], hidden: set[K]) -> bool:
    changed = False
    for group in groups:
        cells = _cells(group)
        hidden_here = [c for c in cells if c in hidden]
        if not hidden_here:
            continue
        alone = len(hidden_here) == 1
        hidden_members = [c for c in group.members if c in hidden]
        all_zero = (
            group.total not in hidden
            and bool(hidden_members)
            and sum(values[c] for c in hidden_members) == 0
        )
        if (alone or all_zero) and _hide_one_more(values, [group], hidden, nonzero=all_zero):
            changed = True
    return changed


def _hide_one_more(
    values: Mapping[K, int], groups: Sequence[Group[K]], hidden: set[K], *, nonzero: bool = False
) -> bool:
    """Hide the least informative published cell of the groups; False when none is left."""
    for group in groups:
        published = [c for c in group.members if c not in hidden]
        positive = [c for c in published if values[c] > 0]
        candidates = positive or ([] if nonzero else published)
        if candidates:
            hidden.add(min(candidates, key=lambda c: (values[c], repr(c))))
            return True
        if group.total not in hidden and (not nonzero or values[group.total] > 0):
            hidden.add(group.total)
            return True
    return False


def determined_cells(
    values: Mapping[K, int], groups: Sequence[Group[K]], hidden: set[K]
) -> list[K]:
    """Hidden cells whose value follows from the published cells and the groups' sums."""
    unknowns = sorted(hidden, key=repr)
    if not unknowns:
        return []
    index = {cell: i for i, cell in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for group in groups:
        row = [Fraction(0)] * len(unknowns)
        touched = False
        for cell, sign in ((group.total, -1), *((m, 1) for m in group.members)):
            if cell in index:
                row[index[cell]] += sign
                touched = True
        if touched and any(row):
            rows.append(row)
    basis = _row_echelon(rows)
    return [cell for cell in unknowns if _in_row_space(basis, index[cell], len(unknowns))]


def _row_echelon(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Reduced row echelon form: (pivot column, row) pairs."""
    basis: list[tuple[int, list[Fraction]]] = []
    for original in rows:
        row = list(original)
        for column, base in basis:
            if row[column] != 0:
                factor = row[column]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
        found = next((i for i, a in enumerate(row) if a != 0), None)
        if found is None:
            continue
        pivot = found
        lead = row[pivot]
        row = [a / lead for a in row]
        reduced = []
        for p, base in basis:
            if base[pivot] != 0:
                factor = base[pivot]
                base = [a - factor * b for a, b in zip(base, row, strict=True)]
            reduced.append((p, base))
        basis = [*reduced, (pivot, row)]
    return basis


def _in_row_space(basis: list[tuple[int, list[Fraction]]], column: int, width: int) -> bool:
    target = [Fraction(0)] * width
    target[column] = Fraction(1)
    for pivot, base in basis:
        if target[pivot] != 0:
            factor = target[pivot]
            target = [a - factor * b for a, b in zip(target, base, strict=True)]
    return not any(target)
