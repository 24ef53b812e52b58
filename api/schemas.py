"""Shared pieces of API schemas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """Base of request and response schemas: unknown fields in requests are errors."""

    model_config = ConfigDict(extra="forbid")
