"""Persistence: SQLModel tables, repositories, the unit of work, Alembic migrations.

The naming convention must be on the metadata before the first table is declared, or the
models' constraint names silently differ from the migrations' (a constraint attached to a
table while the metadata has no convention keeps no name at all). Python runs this file
before any module of the package, so importing `persistence.base` here is what makes
every table in `persistence/` (and any other table declared after importing one of them)
get the convention's names; tests/platform/test_migrations.py checks that it holds.
"""

import persistence.base  # noqa: F401  (sets the naming convention; see above)
