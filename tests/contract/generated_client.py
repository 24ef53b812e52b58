"""A Python client generated from the committed OpenAPI document, as a partner would.

The contract gates generate it (tests/contract/conftest.py, once per document version);
`import_client()` imports the result as the package `duangta_generated_client`. Tests then
drive the app through it in-process: the generated `Client` / `AuthenticatedClient` pass
`httpx_args` to the httpx client they build, so an `httpx.ASGITransport` routes their
requests into the app while the generated code still sets the `Authorization` header
itself (`set_async_httpx_client()` would replace that client, headers included).

Everything the generated package holds is typed `Any` here: it does not exist until the
test session generates it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from fastapi import FastAPI

PACKAGE = "duangta_generated_client"
BASE_URL = "http://testserver"


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


def _into(app: FastAPI) -> dict[str, Any]:
    return {"transport": httpx.ASGITransport(app=app)}


def import_client(package_dir: Path, output: str) -> GeneratedClient:
    """Import the generated package in `package_dir` as `duangta_generated_client`."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = module
        spec.loader.exec_module(module)
    return GeneratedClient(package=sys.modules[PACKAGE], output=output)
