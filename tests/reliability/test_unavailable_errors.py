"""Which errors mean "the database cannot serve now" (503 + Retry-After), and which
remain the request's fault or a bug (api/errors.py `database_unavailable`)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from api.errors import database_unavailable


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("value quoted here")
        self.sqlstate = sqlstate


def _dbapi(sqlstate: str, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", None, _Orig(sqlstate), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        OSError(104, "Connection reset by peer"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        ),
        sa_exc.TimeoutError("QueuePool limit of size 1 overflow 1 reached"),
        _dbapi("XX000", invalidated=True),
        _dbapi("08006"),
        _dbapi("57P01"),
        _dbapi("57P03"),
        _dbapi("53300"),
        _dbapi("57014"),
        sa_exc.InterfaceError("SELECT 1", None, _Orig("")),
    ],
    ids=lambda error: type(error).__name__,
)
def test_unavailable(error: BaseException) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        _dbapi("23505"),  # unique violation: a 409
        _dbapi("22001"),  # data exception: a 422
        _dbapi("42P01"),  # undefined table: a bug, a 500
        ValueError("a bug"),
        RuntimeError("the database is not open"),
    ],
    ids=lambda error: getattr(getattr(error, "orig", None), "sqlstate", type(error).__name__),
)
def test_not_unavailable(error: BaseException) -> None:
    assert not database_unavailable(error)


def test_the_cause_of_a_wrapped_error_counts() -> None:
    wrapped = RuntimeError("wrapper")
    wrapped.__cause__ = ConnectionRefusedError()
    assert database_unavailable(wrapped)
