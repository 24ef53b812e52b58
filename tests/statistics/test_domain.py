"""Statistics, pure: periods on the Bangkok calendar, percentiles, suppression (with an
attacker that tries to recover suppressed cells from what is published)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from domain.errors import InvalidInput
from domain.statistics.model import percentile
from domain.statistics.periods import (
    Period,
    bangkok_month,
    choose_period,
    fiscal_year_of,
    month_label_th,
)
from domain.statistics.suppression import Group, determined_cells, suppress
from domain.statistics.use_cases import public_table


def test_months_and_fiscal_years_on_the_bangkok_calendar() -> None:
    assert bangkok_month(datetime(2025, 9, 30, 17, 30, tzinfo=UTC)) == date(2025, 10, 1)
    assert bangkok_month(datetime(2025, 9, 30, 16, 59, tzinfo=UTC)) == date(2025, 9, 1)
    assert fiscal_year_of(date(2025, 10, 1)) == 2569
    assert fiscal_year_of(date(2026, 9, 1)) == 2569
    assert fiscal_year_of(date(2026, 10, 1)) == 2570
    fy = Period.fiscal_year(2569)
    assert (fy.start, fy.end) == (date(2025, 10, 1), date(2026, 9, 30))
    assert len(fy.months) == 12
    assert fy.label_th == "ปีงบประมาณ พ.ศ. 2569"
    assert Period.calendar_year(2569).start == date(2026, 1, 1)
    assert month_label_th(date(2025, 10, 1)) == "ต.ค. 2568"


def test_choosing_a_period() -> None:
    now = datetime(2025, 9, 30, 17, 30, tzinfo=UTC)  # already FY2569 in Bangkok
    assert choose_period(now=now) == Period.fiscal_year(2569)
    assert choose_period(now=now, start=date(2025, 1, 15), end=date(2025, 3, 2)) == Period(
        date(2025, 1, 1), date(2025, 3, 1)
    )
    for bad in (
        {"fiscal_year": 2569, "year": 2569},
        {"fiscal_year": 2026},
        {"start": date(2025, 3, 1), "end": date(2025, 1, 1)},
    ):
        with pytest.raises(InvalidInput):
            choose_period(now=now, **bad)


def test_percentiles_are_discrete_like_postgresql() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({3: 1}, 0.5) == 3
    assert percentile({1: 1, 2: 1, 3: 1, 4: 1}, 0.5) == 2  # percentile_disc: first >= 50 %
    assert percentile({1: 9, 100: 1}, 0.9) == 1
    assert percentile({1: 8, 100: 2}, 0.9) == 100


# -- suppression --------------------------------------------------------------------------


def attacker_recovers(
    values: dict[str, int], groups: list[Group[str]], hidden: set[str]
) -> set[str]:
    """An independent attacker: every suppressed cell whose value the published cells and
    the groups' sums pin down, by brute force over non-negative integers (small tables
    only). It guesses the hidden leaf cells (those no group sums to), up to the largest
    published count, derives the totals, keeps the worlds that match what is published;
    a cell with one possible value in all of them is recovered."""
    totals = {g.total for g in groups}
    published = {c: v for c, v in values.items() if c not in hidden}
    leaves = sorted(c for c in hidden if c not in totals)
    # A member is at most the smallest published total of a group it is in.
    top = max(published.values(), default=max(values.values()))
    bounds = [
        min(
            [published[g.total] for g in groups if c in g.members and g.total in published] or [top]
        )
        for c in leaves
    ]
    possible: dict[str, set[int]] = {c: set() for c in hidden}
    for guess in itertools.product(*(range(b + 1) for b in bounds)):
        world: dict[str, int] = {**published, **dict(zip(leaves, guess, strict=True))}
        consistent = True
        for g in groups:  # groups are listed bottom-up: one pass derives every total
            value = sum(world[m] for m in g.members)
            if world.setdefault(g.total, value) != value:
                consistent = False
                break
        if consistent and all(c in world for c in hidden):
            for cell in hidden:
                possible[cell].add(world[cell])
    return {cell for cell, seen in possible.items() if len(seen) == 1}


def small_table() -> tuple[dict[str, int], list[Group[str]]]:
    """Two regions of three provinces, the national total, and three months (groups
    listed bottom-up)."""
    values = {"a1": 1, "a2": 5, "a3": 6, "b1": 5, "b2": 5, "b3": 6}
    values |= {"A": 12, "B": 16, "T": 28, "m1": 6, "m2": 2, "m3": 20}
    groups = [
        Group("A", ("a1", "a2", "a3")),
        Group("B", ("b1", "b2", "b3")),
        Group("T", ("A", "B")),
        Group("T", ("m1", "m2", "m3")),
    ]
    return values, groups


def test_primary_suppression_alone_gives_cells_away() -> None:
    values, groups = small_table()
    primary = {c for c, v in values.items() if v < 5}
    assert primary == {"a1", "m2"}
    # Hiding only the small cells: each is the total minus the published members.
    assert determined_cells(values, groups, primary) == ["a1", "m2"]
    assert {"a1", "m2"} <= attacker_recovers(values, groups, primary)


def test_no_suppressed_cell_can_be_recovered_from_the_published_totals() -> None:
    values, groups = small_table()
    hidden = suppress(values, groups)
    assert {"a1", "m2"} <= hidden
    assert all(values[c] >= 5 for c in values if c not in hidden)
    # The attacker, with every published cell and every group's sum, pins none of them.
    assert attacker_recovers(values, groups, hidden) == set()
    # Nor does exact linear algebra over the rationals.
    assert determined_cells(values, groups, hidden) == []


def test_zeros_hidden_with_a_non_zero_complement() -> None:
    # Everything hidden in a group summing to 0 would show all zeros.
    values = {"x": 0, "y": 0, "z": 12, "t": 12}
    groups = [Group("t", ("x", "y", "z"))]
    hidden = suppress(values, groups)
    assert hidden == {"x", "y", "z"}
    assert attacker_recovers(values, groups, hidden) == set()


@pytest.mark.parametrize("seed", range(40))
def test_random_small_tables_resist_the_attacker(seed: int) -> None:
    rng = random.Random(seed)
    cells = {f"p{i}": rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 11]) for i in range(4)}
    values = {**cells, "R1": cells["p0"] + cells["p1"], "R2": cells["p2"] + cells["p3"]}
    values["T"] = values["R1"] + values["R2"]
    groups = [Group("R1", ("p0", "p1")), Group("R2", ("p2", "p3")), Group("T", ("R1", "R2"))]
    hidden = suppress(values, groups)
    assert all(values[c] >= 5 for c in values if c not in hidden)
    assert attacker_recovers(values, groups, hidden) == set()


def test_the_public_tables_never_publish_a_small_or_derivable_count() -> None:
    rng = random.Random(3)
    provinces = {f"{i:02d}": ("north", "south", "east")[i % 3] for i in range(10, 22)}
    months = ["2025-10", "2025-11", "2025-12"]
    received_p = {c: rng.choice([0, 2, 3, 7, 9, 15]) for c in provinces}
    total = sum(received_p.values())
    received_m = {"2025-10": 4, "2025-11": total - 4 - 20, "2025-12": 20}
    published, _ = public_table(
        provinces=provinces,
        months=months,
        received={"province": received_p, "month": received_m},
        acknowledged={"province": {}, "month": {}},
        concluded={"province": {}, "month": {}},
        outcomes={"substantiated": 3, "referred": 0},
    )
    cells = published["received"]
    assert all(v is None or v >= 5 for v in cells.values())
    assert cells["month", "2025-10"] is None
    # Rebuild the equations the page shows and solve them exactly.
    regions = sorted(set(provinces.values()))
    groups = [
        Group(("region", r), tuple(("province", c) for c in provinces if provinces[c] == r))
        for r in regions
    ]
    groups.append(Group(("total", "total"), tuple(("region", r) for r in regions)))
    groups.append(Group(("total", "total"), tuple(("month", m) for m in months)))
    values = {**{("province", c): v for c, v in received_p.items()}}
    values |= {("month", m): v for m, v in received_m.items()}
    for r in regions:
        values["region", r] = sum(v for c, v in received_p.items() if provinces[c] == r)
    values["total", "total"] = total
    hidden = {cell for cell, v in cells.items() if v is None}
    assert determined_cells(values, groups, hidden) == []
    assert Fraction(total) > 0


def test_a_sub_count_is_hidden_wherever_its_whole_is() -> None:
    # Received: province 11 has 6 (hidden as the complement of 10's 2); acknowledged in
    # time: 11 has all 6. Published, that 6 would show 11 received at least 6, and with
    # the region's 8 that 10 received at most 2.
    provinces = {"10": "north", "11": "north", "12": "south", "13": "south"}
    published, _ = public_table(
        provinces=provinces,
        months=[],
        received={"province": {"10": 2, "11": 6, "12": 9, "13": 7}, "month": {}},
        acknowledged={"province": {"10": 0, "11": 6, "12": 8, "13": 7}, "month": {}},
        concluded={"province": {}, "month": {}},
        outcomes={},
    )
    received, acknowledged = published["received"], published["acknowledged_in_time"]
    assert received["province", "11"] is None
    assert acknowledged["province", "11"] is None
    hidden_received = {cell for cell, v in received.items() if v is None}
    hidden_acknowledged = {cell for cell, v in acknowledged.items() if v is None}
    assert hidden_received <= hidden_acknowledged
