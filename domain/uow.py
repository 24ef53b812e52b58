"""The unit of work: one transaction, every feature's repositories, the clock and the audit log.

Use cases take their feature's unit of work first (`TipsUnitOfWork`, ... in each feature's
`ports.py`) and commit once; repositories never commit. This protocol unites them for the
composition root (the API's dependencies, the CLI, tests). It imports only ports, so no
feature depends on another through it.
"""

from __future__ import annotations

from typing import Protocol

from domain.agencies.ports import AgenciesUnitOfWork
from domain.audit.ports import AuditUnitOfWork
from domain.clients.ports import ClientsUnitOfWork
from domain.investigations.ports import InvestigationsUnitOfWork
from domain.provinces.ports import ProvincesUnitOfWork
from domain.sessions.ports import RefreshTokenRepository, SessionsUnitOfWork
from domain.statistics.ports import StatisticsUnitOfWork
from domain.volunteers.ports import VolunteersUnitOfWork
from domain.webhooks.ports import WebhooksUnitOfWork


class UnitOfWork(
    SessionsUnitOfWork,  # includes AccountsUnitOfWork
    VolunteersUnitOfWork,
    InvestigationsUnitOfWork,  # includes TipsUnitOfWork
    ClientsUnitOfWork,  # includes AgenciesUnitOfWork
    AgenciesUnitOfWork,
    AuditUnitOfWork,
    StatisticsUnitOfWork,  # includes ProvincesUnitOfWork
    ProvincesUnitOfWork,
    WebhooksUnitOfWork,
    Protocol,
):
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
