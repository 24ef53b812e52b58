"""Keep the reference honest: send the same requests to the API and to the reference and
show where their answers differ (the suite checks one request per scenario; this checks
many, and prints the first difference).

    BENCH_SCALE=small .venv/bin/python -m bench.parity [scenario ...] [--requests N]

Uses the seeded database of the suite (it must have been seeded by `make bench` once).
Scenarios whose answers carry fresh ids (intake) are compared by keys, types and length.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bench.client import one
from bench.config import load_secrets, scale_from_env, scale_url, server_env
from bench.database import resolve_database
from bench.scenarios import build, load_samples
from bench.servers import api_server, reference_server
from bench.suite import _shape


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'api' if key in a else 'reference'}"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        if list(a) != list(b):
            return f"{path}: key order {list(a)} vs {list(b)}"
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


async def check(names: list[str], count: int) -> int:
    scale = scale_from_env()
    keys = load_secrets()
    failures = 0
    async with resolve_database() as base:
        url = scale_url(base, scale)
        env = server_env(url, keys)
        samples = await load_samples(url)
        api, reference = api_server(env), reference_server(env)
        try:
            api.start("/health/ready")
            reference.start("/api/v1/provinces/10")
            for scenario in build(samples, keys):
                if names and scenario.name not in names:
                    continue
                if scenario.name == "auth_token":
                    continue  # Argon2: slow, and answers with fresh tokens
                same = 0
                for raw in scenario.requests[:count]:
                    a = await one(api.port, raw)
                    b = await one(reference.port, raw)
                    if a.status != b.status:
                        print(f"{scenario.name}: status {a.status} vs {b.status}")
                        failures += 1
                        break
                    if scenario.same_bytes:
                        if a.body == b.body:
                            same += 1
                            continue
                        detail = _first_difference(json.loads(a.body), json.loads(b.body))
                        print(
                            f"{scenario.name}: DIFFERENT ({len(a.body)} vs {len(b.body)}) {detail}"
                        )
                        failures += 1
                        break
                    if _shape(json.loads(a.body)) == _shape(json.loads(b.body)):
                        same += 1
                        continue
                    print(f"{scenario.name}: DIFFERENT shape")
                    failures += 1
                    break
                else:
                    print(f"{scenario.name}: {same} requests answered alike")
        finally:
            api.stop()
            reference.stop()
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    raise SystemExit(1 if asyncio.run(check(args.scenarios, args.requests)) else 0)


if __name__ == "__main__":
    main()
