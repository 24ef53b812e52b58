"""Which constraints and indexes of a metadata are not named by the naming convention.

Imports nothing of the application, so that a fresh interpreter can import one tables
module first and check it afterwards (see test_migrations.py).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    MetaData,
    PrimaryKeyConstraint,
    UniqueConstraint,
)


def convention_problems(metadata: MetaData) -> list[str]:
    """One line per constraint or index whose name differs from what the convention gives.

    The migrations name everything with `op.f()` after the same convention
    (persistence/base.py), so a name that differs here differs in the database too.
    """
    problems: list[str] = []
    for table in metadata.sorted_tables:
        t = table.name
        for constraint in table.constraints:
            name = None if constraint.name is None else str(constraint.name)
            if isinstance(constraint, PrimaryKeyConstraint):
                expected = f"pk_{t}"
            elif isinstance(constraint, UniqueConstraint):
                expected = f"uq_{t}_{constraint.columns[0].name}"
            elif isinstance(constraint, ForeignKeyConstraint):
                referred = constraint.elements[0].target_fullname.split(".")[-2]
                expected = f"fk_{t}_{constraint.columns[0].name}_{referred}"
            elif isinstance(constraint, CheckConstraint):
                # %(constraint_name)s is the name given in the model: only the prefix is fixed.
                if name is None or not name.startswith(f"ck_{t}_"):
                    problems.append(f"{t}: check constraint {name!r} is not named ck_{t}_<name>")
                continue
            else:
                problems.append(f"{t}: unexpected constraint {constraint!r}")
                continue
            if name != expected:
                problems.append(f"{t}: {type(constraint).__name__} is {name!r}, not {expected!r}")
        for index in table.indexes:
            name = None if index.name is None else str(index.name)
            prefixes = (f"ix_{t}_", f"uq_{t}_") if index.unique else (f"ix_{t}_",)
            if name is None or not name.startswith(prefixes):
                problems.append(f"{t}: index {name!r} does not start with {' or '.join(prefixes)}")
    return problems
