"""Receipts: the one-time code an anonymous reporter keeps to follow up on a tip.

20 characters of Crockford base32 (100 bits from the OS's CSPRNG), shown as five groups
of four for reading aloud or writing down: `7KQ2-M9XD-4HTR-ZC8P-W3NB`. Only a keyed hash of
the normalised code is stored. Normalisation forgives what people do when copying a
code: any case, spaces or hyphens, I/L for 1 and O for 0.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 20  # 20 x 5 bits = 100 bits
GROUP = 4
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_DROP = str.maketrans("", "", " -\t\n\r")


def new_receipt() -> str:
    """A fresh receipt, grouped for display."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize_receipt(text: str) -> str:
    """Canonical form for hashing. Never fails: a malformed code simply matches nothing,
    and is hashed and looked up like any other so that timing reveals nothing."""
    return text.upper().translate(_DROP).translate(_CONFUSABLE)[:64]
