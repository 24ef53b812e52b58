"""The committed OpenAPI document, the app it describes, and a client generated from it.

The gates check the committed `openapi/openapi.json` (what partners download);
test_openapi.py checks that it is what the app renders. None of this needs a database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.app import api_routes, create_app
from api.deps import declared_action
from api.openapi import OPENAPI_PATH
from api.settings import Settings
from domain.policy import Action

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return loaded


def operations_of(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation of the document."""
    return [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


@pytest.fixture(scope="session")
def offline_app() -> FastAPI:
    """The app, built without a database (nothing here sends a request)."""
    return create_app(Settings(database_url="postgresql+asyncpg://unused@localhost/unused"))


@pytest.fixture(scope="session")
def route_actions(offline_app: FastAPI) -> dict[tuple[str, str], Action]:
    """(path, method) -> the action the route declares with `requires(Action.X)`."""
    found: dict[tuple[str, str], Action] = {}
    for path, route in api_routes(offline_app):
        assert isinstance(route, APIRoute)
        action = declared_action(route.dependant)
        assert action is not None, path
        for method in route.methods or ():
            found[(path, method.lower())] = action
    return found


@dataclass(frozen=True)
class GenerationResult:
    returncode: int
    log: str
    package: Path  # the generated package (its modules under api/, models/)


def _generate(spec: Path, into: Path) -> tuple[int, str]:
    """Run openapi-python-client, with the venv's bin/ on PATH so that it finds ruff."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(  # noqa: S603  # our own tool, fixed arguments
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(into),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="session")
def generated_client() -> GenerationResult:
    """A Python client generated from the committed document, once per document version.

    Cached in the temporary directory under the hash of the document and the generator's
    version, so repeated test runs do not regenerate it (about a second when they do).
    """
    spec = OPENAPI_PATH.read_bytes()
    key = hashlib.sha256(spec + version("openapi-python-client").encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"duangta-openapi-client-{key}"
    if not (cache / "done").exists():
        work = Path(tempfile.mkdtemp(prefix="duangta-openapi-client-"))
        (work / "openapi.json").write_bytes(spec)
        returncode, log = _generate(work / "openapi.json", work / "client")
        (work / "generate.log").write_text(log, encoding="utf-8")
        (work / "generate.rc").write_text(str(returncode), encoding="utf-8")
        (work / "done").touch()
        try:
            work.rename(cache)
        except OSError:  # another session finished first: use its copy
            shutil.rmtree(work, ignore_errors=True)
    return GenerationResult(
        returncode=int((cache / "generate.rc").read_text(encoding="utf-8")),
        log=(cache / "generate.log").read_text(encoding="utf-8"),
        package=cache / "client",
    )
