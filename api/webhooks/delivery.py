"""The delivery worker: sends pending outbox deliveries to partners' endpoints.

Why a lean loop of our own rather than pgqueuer or procrastinate: the queue *is* our
`webhook_deliveries` table (the partners' delivery log, redelivery, the circuit breaker
all read and write it), so a job library would add a second queue, its own schema and
migrations to keep in step with ours, for what is one `SELECT ... FOR UPDATE SKIP
LOCKED` and one `LISTEN`. See persistence/webhooks/queue.py for why the row lock is held
for the length of the request (no two workers send one delivery at once; a killed worker
releases it at once).

Each attempt: the endpoint URL is checked again (its host may resolve elsewhere now: DNS
rebinding) and the request goes to the address just checked (the `Host` header and TLS
SNI keep the name), redirects are not followed, and a timeout bounds it. A 2xx answer
delivers; anything else is retried with exponential backoff and jitter until the retry
window ends (then `failed`); an endpoint failing again and again is paused (breaker).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import Clock
from domain.webhooks import signing
from domain.webhooks.errors import UnsafeUrl
from domain.webhooks.model import Attempt, Breaker, RetryPolicy
from domain.webhooks.urls import Target, UrlGuard
from persistence.crypto import KeyRing
from persistence.outbox.repository import CHANNEL
from persistence.webhooks.queue import Claim, SqlDeliveryQueue
from persistence.webhooks.repository import EndpointSecrets

logger = logging.getLogger("duangta.webhooks")

USER_AGENT = "Duangta-Webhooks/1.0"
_ERROR_MAX = 300


def body_of(claim: Claim) -> bytes:
    return json.dumps(claim.event.body(), separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    retry: RetryPolicy
    breaker: Breaker
    timeout: float = 10.0
    concurrency: int = 8
    poll_seconds: float = 5.0


class DeliveryWorker:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        keyring: KeyRing,
        clock: Clock,
        guard: UrlGuard,
        config: WorkerConfig,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._engine = engine
        self._secrets = EndpointSecrets(keyring)
        self._clock = clock
        self._guard = guard
        self._config = config
        self._jitter = jitter
        #: Attempts this worker made (delivered or not), for logs and tests.
        self.attempts = 0
        # Redirects are never followed: a 3xx is a failed attempt. No TLS connection is
        # kept alive: requests go to an address (pinned), and a pooled connection to one
        # address, verified for one partner's name, must never carry another partner's
        # request to that address (two partners behind one load balancer). Plain http
        # (tests, closed networks) has no name to verify and keeps its connections.
        self._tls = self._client_with(config, keepalive=0)
        self._plain = self._client_with(config, keepalive=config.concurrency)

    @staticmethod
    def _client_with(config: WorkerConfig, *, keepalive: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(config.timeout),
            limits=httpx.Limits(
                max_connections=config.concurrency * 2, max_keepalive_connections=keepalive
            ),
            trust_env=False,
        )

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await self._tls.aclose()
        await self._plain.aclose()

    async def deliver_one(self) -> bool:
        """Claim one due delivery, attempt it and record the outcome; False when none is
        due. The claim's row stays locked until the outcome is committed."""
        async with self._engine.connect() as connection, connection.begin():
            queue = SqlDeliveryQueue(connection, self._secrets)
            claim = await queue.claim(self._clock.now())
            if claim is None:
                return False
            attempt = await self._attempt(claim)
            self.attempts += 1
            delivered = attempt.error is None and attempt.status_code is not None
            retry_at = None
            if not delivered:
                retry_at = self._config.retry.next_attempt(
                    failures=claim.attempt_count + 1,
                    now=attempt.at,
                    queued_at=claim.queued_at,
                    jitter=self._jitter(),
                )
            await queue.record(
                claim,
                attempt,
                delivered=delivered,
                retry_at=retry_at,
                breaker=self._config.breaker,
            )
            logger.info(
                "webhook attempt",
                extra={
                    "delivery_id": str(claim.delivery_id),
                    "endpoint_id": str(claim.endpoint_id),
                    "webhook_id": claim.event.message_id,
                    "status_code": attempt.status_code,
                    "latency_ms": attempt.latency_ms,
                    "outcome": "delivered" if delivered else ("retry" if retry_at else "failed"),
                },
            )
            return True

    async def drain(self) -> int:
        """Deliver until nothing is due (one at a time); how many attempts were made."""
        count = 0
        while await self.deliver_one():
            count += 1
        return count

    async def _attempt(self, claim: Claim) -> Attempt:
        at = self._clock.now()
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            target = await self._guard.check(claim.url)
            response = await self._send(claim, target)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}" + (
                    " (redirects are not followed)" if 300 <= status < 400 else ""
                )
        except UnsafeUrl as refused:
            error = f"refused: {refused.detail}"
        except httpx.TimeoutException:
            error = f"timeout after {self._config.timeout:g} s"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:_ERROR_MAX] or "connection failed"
        except Exception as failure:  # a failed attempt, retried: never a poisoned queue head
            logger.exception("webhook attempt failed unexpectedly")
            error = f"internal error: {type(failure).__name__}"
        latency = round((time.perf_counter() - started) * 1000)
        return Attempt(
            at=at, status_code=status, latency_ms=latency, error=error and error[:_ERROR_MAX]
        )

    async def _send(self, claim: Claim, target: Target) -> httpx.Response:
        body = body_of(claim)
        now = self._clock.now()
        url = httpx.URL(target.url)
        address = ipaddress.ip_address(target.addresses[0].split("%", 1)[0])
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": url.netloc.decode("ascii"),
            **signing.headers(
                claim.secrets(now), claim.event.message_id, int(now.timestamp()), body
            ),
        }
        # Connect to the address just checked, not to whatever the name resolves to next.
        pinned = url.copy_with(host=str(address))
        if target.scheme == "https":
            return await self._tls.post(
                pinned, content=body, headers=headers, extensions={"sni_hostname": target.host}
            )
        return await self._plain.post(pinned, content=body, headers=headers)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver with `concurrency` tasks until `stop` is set; woken by NOTIFY when
        deliveries are queued, and every `poll_seconds` for retries that fall due."""
        wakers = [asyncio.Event() for _ in range(self._config.concurrency)]
        async with self._listening(wakers):
            tasks = [asyncio.create_task(self._loop(stop, wake)) for wake in wakers]
            await stop.wait()
            for task in tasks:
                task.cancel()  # a delivery cut short rolls back: still pending, sent later
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        while not stop.is_set():
            wake.clear()  # before looking: a NOTIFY from now on wakes the wait below
            try:
                if await self.deliver_one():
                    continue
            except Exception:
                logger.exception("webhook delivery failed; trying again after a pause")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self._config.poll_seconds)

    @contextlib.asynccontextmanager
    async def _listening(self, wakers: list[asyncio.Event]) -> AsyncIterator[None]:
        def notified(*_: object) -> None:
            for wake in wakers:
                wake.set()

        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.add_listener(CHANNEL, notified)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    await driver.remove_listener(CHANNEL, notified)
