"""Shared SQLModel metadata with a naming convention, so constraint names are stable.

Imported by `persistence/__init__.py`, hence before any table is declared: a convention
set after a table exists does not rename that table's constraints.
"""

from collections.abc import Iterable

from sqlmodel import SQLModel

#: The names the migrations give (with `op.f`), so models and database agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


def one_of(column: str, values: Iterable[str]) -> str:
    """`column IN ('a', 'b')`: the text of a check constraint over (an enum's) values."""
    literals = ("'" + str(value).replace("'", "''") + "'" for value in values)
    return f"{column} IN ({', '.join(literals)})"
