"""A Python client generated from the committed OpenAPI document, as a partner would.

`generate_client()` runs openapi-python-client on `openapi/openapi.json` into a
directory and imports the result as the package `duangta_generated_client`. Tests then
drive the app through it in-process: the generated `Client` / `AuthenticatedClient` pass
`httpx_args` to the httpx client they build, so an `httpx.ASGITransport` routes their
requests into the app while the generated code still sets the `Authorization` header
itself (`set_async_httpx_client()` would replace that client, headers included).

Everything the generated package holds is typed `Any` here: it does not exist until the
test session generates it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from fastapi import FastAPI

PACKAGE = "duangta_generated_client"
BASE_URL = "http://testserver"

#: What the generator prints when it drops a schema (and every operation that uses it).
DROPPED_SCHEMA_MARKERS = ("Unable to process schema", "Failure to process schema")


@dataclass(frozen=True, slots=True)
class GeneratedClient:
    """The imported package and what the generator printed while writing it."""

    package: ModuleType
    output: str

    @property
    def models(self) -> Any:
        """`<package>.models`: every schema of the document as an attrs class or enum."""
        return importlib.import_module(f"{PACKAGE}.models")

    @property
    def types(self) -> Any:
        """`<package>.types`: `UNSET`, `Response`."""
        return importlib.import_module(f"{PACKAGE}.types")

    def operation(self, tag: str, operation_id: str) -> Any:
        """The module of one operation (`asyncio`, `asyncio_detailed`, `sync`, ...)."""
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation_id}")

    def anonymous(self, app: FastAPI) -> Any:
        """A plain generated `Client` (no token) whose requests go into `app`."""
        return self.package.Client(base_url=BASE_URL, httpx_args=_into(app))

    def signed_in(self, app: FastAPI, token: str) -> Any:
        """A generated `AuthenticatedClient` sending `Authorization: Bearer <token>`."""
        return self.package.AuthenticatedClient(
            base_url=BASE_URL, token=token, httpx_args=_into(app)
        )


def known_defects(spec: Path) -> list[str]:
    """Defects of the document that break generated clients and are being fixed (issue 9):
    component names made of module paths (two `StatusChangePublic`), FastAPI's
    `Body_<operation>` form names. Empty once the contract work has landed."""
    names = json.loads(spec.read_text(encoding="utf-8"))["components"]["schemas"]
    return sorted(name for name in names if "__" in name or name.startswith("Body_"))


def _into(app: FastAPI) -> dict[str, Any]:
    return {"transport": httpx.ASGITransport(app=app)}


def generate_client(spec: Path, into: Path) -> GeneratedClient:
    """Generate a client from `spec` into `into/<PACKAGE>` and import it.

    The generator formats its output with ruff, which it looks up on PATH: the venv's
    `bin/` (where this interpreter and ruff live) goes first.
    """
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])}
    command = [
        str(bin_dir / "openapi-python-client"),
        "generate",
        "--path",
        str(spec),
        "--output-path",
        str(into / PACKAGE),
        "--meta",
        "none",
    ]
    # Fixed arguments, our own files: nothing untrusted reaches the command line.
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, env=env, timeout=300, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    dropped = [marker for marker in DROPPED_SCHEMA_MARKERS if marker in output]
    assert not dropped, f"the generator dropped schemas of {spec}:\n{output}"
    sys.path.insert(0, str(into))
    try:
        package = importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(into))
    return GeneratedClient(package=package, output=output)
