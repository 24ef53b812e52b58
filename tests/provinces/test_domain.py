from __future__ import annotations

import pytest

from domain.provinces.model import normalize_province_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("40", "40"),
        ("TH-40", "40"),
        ("th-40", "40"),
        (" 10 ", "10"),
        ("4", None),
        ("TH-S", None),
        ("400", None),
        ("", None),
        ("TH40", None),
    ],
)
def test_normalize(raw: str, expected: str | None) -> None:
    assert normalize_province_code(raw) == expected
