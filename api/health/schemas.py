"""Response schemas of the liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas import ApiModel


class Health(ApiModel):
    """The answer of a probe that passed (a failing readiness probe answers a 503 problem)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ok", "schema_revision": None},
                {"status": "ok", "schema_revision": "0009"},
            ]
        }
    )

    status: Literal["ok"] = Field(description="Always `ok`: the probe passed")
    schema_revision: str | None = Field(
        default=None,
        description="The database's migration revision (readiness only; null for liveness)",
    )
