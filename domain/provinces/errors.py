"""Provinces: errors."""

from __future__ import annotations

from domain.errors import NotFound


class ProvinceNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"No province has the code '{code}'.")
