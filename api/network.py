"""Name resolution for the SSRF checks of webhook endpoints (domain/webhooks/urls.py)."""

from __future__ import annotations

import asyncio
import socket

__all__ = ["SystemResolver"]


class SystemResolver:
    """Host names to addresses with the system's resolver (at most 5 seconds)."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=5
            )
        except (OSError, TimeoutError, UnicodeError):
            return []
        return sorted({str(info[4][0]) for info in infos})
