"""What every unit of work offers, whatever feature uses it: the clock, the request id,
and one transaction to commit or roll back.

Each feature's `ports.py` extends this with the repositories its use cases need
(`TipsUnitOfWork`, ...); `domain/uow.py` unites them for the composition root. A use
case therefore depends on its own feature's ports only, never on `domain.uow`.
"""

from __future__ import annotations

from typing import Protocol

from domain.clock import Clock


class Transaction(Protocol):
    # Read-only members, so implementations may narrow the types.
    @property
    def clock(self) -> Clock: ...
    @property
    def request_id(self) -> str | None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
