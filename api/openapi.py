"""Post-processing of the generated OpenAPI document (`make openapi` writes it: api/cli.py).

Every error response is documented as `application/problem+json` with the `Problem`
schema (FastAPI's built-in 422 `HTTPValidationError` included), and every operation
lists the 500 problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.problems import PROBLEM_MEDIA_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def finish_openapi(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            responses.setdefault("500", {"description": "Internal error"})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    if status == "422":
                        response["description"] = "The request is not valid"
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'/{unused}"' not in text:
            del schemas[unused]
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
