"""Encryption at rest for confidential fields, and keyed hashes for look-ups.

A `KeyRing` holds AES-256-GCM data keys by key id: the current key seals new values,
every key in the ring opens old ones, so keys rotate without re-encrypting at once.
Each sealed value travels with the id of its key. Associated data (e.g. the record id
and field name) binds a ciphertext to its place, so it cannot be moved to another row.

Keyed hashes (HMAC-SHA-256 under a separate key, with a purpose label) let us enforce
uniqueness or find a record by a secret (a national ID, a receipt) without storing it.
Hash keys have ids too: the id is stored beside each hash (`..._hash_kid` columns), and
look-ups try every listed key, so the hash key rotates like the data keys do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement

_NONCE = 12


class DecryptionFailed(Exception):
    """The value was altered, moved, or sealed with a key the ring does not hold."""


@dataclass(frozen=True, slots=True)
class Sealed:
    kid: str
    blob: bytes  # nonce || ciphertext || tag


#: The id of the single hash key given as DATA_HASH_KEY without DATA_HASH_KEY_ID.
DEFAULT_HASH_KID = "h1"


def _parse_keys(spec: str) -> dict[str, bytes]:
    """'kid:base64key,kid:base64key' -> {kid: key}."""
    parsed: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kid, _, encoded = item.partition(":")
        parsed[kid.strip()] = base64.b64decode(encoded)
    return parsed


class KeyRing:
    """Data keys (AES-256-GCM) and hash keys (HMAC-SHA-256), each by key id.

    The current data key seals and every listed one opens; the current hash key makes new
    keyed hashes and look-ups try every listed one (`keyed_hashes`), so both kinds rotate
    without breaking reads or look-ups (`python -m api.cli rotate-data-key`, `rehash`).
    """

    def __init__(
        self,
        keys: dict[str, bytes],
        current_kid: str,
        hash_key: bytes | dict[str, bytes],
        hash_kid: str | None = None,
    ) -> None:
        if current_kid not in keys:
            raise ValueError("the current data key id has no key")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"data key {kid!r} must be 32 bytes")
            if not 0 < len(kid.encode()) < 256:
                raise ValueError("a data key id is 1-255 bytes")
        hash_keys = (
            hash_key if isinstance(hash_key, dict) else {hash_kid or DEFAULT_HASH_KID: hash_key}
        )
        hash_kid = hash_kid or (next(iter(hash_keys)) if len(hash_keys) == 1 else None)
        if hash_kid is None or hash_kid not in hash_keys:
            raise ValueError("the current hash key id has no key")
        for kid, key in hash_keys.items():
            if len(key) < 32:
                raise ValueError(f"the hash key {kid!r} must be at least 32 bytes")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current_kid = current_kid
        # The current hash key first: most look-ups match under it.
        self._hash_keys = {hash_kid: hash_keys[hash_kid]} | hash_keys
        self.hash_kid = hash_kid

    @classmethod
    def parse(
        cls, keys: str, current_kid: str, hash_keys: str, hash_kid: str | None = None
    ) -> KeyRing:
        """`keys` is 'kid:base64key,kid:base64key'; `hash_keys` the same, or one base64
        key (the single DATA_HASH_KEY of earlier versions, id `hash_kid` or "h1")."""
        if ":" in hash_keys:
            return cls(_parse_keys(keys), current_kid, _parse_keys(hash_keys), hash_kid)
        return cls(_parse_keys(keys), current_kid, base64.b64decode(hash_keys), hash_kid)

    @property
    def data_key_ids(self) -> list[str]:
        return list(self._keys)

    @property
    def hash_key_ids(self) -> list[str]:
        return list(self._hash_keys)

    def seal(self, plaintext: str, *, aad: str) -> Sealed:
        nonce = os.urandom(_NONCE)
        blob = self._keys[self.current_kid].encrypt(nonce, plaintext.encode(), aad.encode())
        return Sealed(self.current_kid, nonce + blob)

    def open(self, sealed: Sealed, *, aad: str) -> str:
        aead = self._keys.get(sealed.kid)
        if aead is None:
            raise DecryptionFailed(f"no data key {sealed.kid!r} in the key ring")
        try:
            return aead.decrypt(sealed.blob[:_NONCE], sealed.blob[_NONCE:], aad.encode()).decode()
        except InvalidTag as exc:
            raise DecryptionFailed("the sealed value does not authenticate") from exc

    def keyed_hash(self, value: str, *, purpose: str, kid: str | None = None) -> str:
        """Hex HMAC-SHA-256 of the value, separated by purpose (e.g. 'national_id'), under
        the current hash key (or the key `kid`)."""
        message = purpose.encode() + b"\x00" + value.encode()
        key = self._hash_keys[kid or self.hash_kid]
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def keyed_hashes(self, value: str, *, purpose: str) -> dict[str, str]:
        """The keyed hash under every listed hash key, by key id, the current one first:
        what a look-up compares with while hashes made under older keys remain."""
        return {kid: self.keyed_hash(value, purpose=purpose, kid=kid) for kid in self._hash_keys}


def hash_matches(column: Any, hashes: list[str]) -> ColumnElement[bool]:
    """The look-up condition of a keyed hash (`KeyRing.keyed_hashes`): `column = hash`
    with one hash key (the usual case, the index look-up it always was), `column IN
    (...)` while a rotation lists several."""
    condition: ColumnElement[bool] = column == hashes[0] if len(hashes) == 1 else column.in_(hashes)
    return condition


def pack(sealed: Sealed) -> bytes:
    """One column's bytes: `len(kid) || kid || nonce || ciphertext || tag`, so the key id
    travels with the value and keys can rotate value by value."""
    kid = sealed.kid.encode()
    return bytes([len(kid)]) + kid + sealed.blob


def unpack(data: bytes) -> Sealed:
    size = data[0]
    return Sealed(data[1 : 1 + size].decode(), bytes(data[1 + size :]))


class FieldSealer:
    """Seals and opens single columns (text or JSON) with a key ring, as packed bytes.

    Written once for every feature that keeps confidential fields in bytea columns (tips,
    investigations). The associated data names the value's place (`tip:<id>:description`),
    so a ciphertext cannot be moved to another row or field.
    """

    def __init__(self, keyring: KeyRing) -> None:
        self._keyring = keyring

    def seal(self, value: str | None, aad: str) -> bytes | None:
        return None if value is None else pack(self._keyring.seal(value, aad=aad))

    def open(self, data: bytes | None, aad: str) -> str | None:
        return None if data is None else self._keyring.open(unpack(bytes(data)), aad=aad)

    def seal_json(self, value: dict[str, Any] | None, aad: str) -> bytes | None:
        return None if value is None else self.seal(json.dumps(value, ensure_ascii=False), aad)

    def open_json(self, data: bytes | None, aad: str) -> dict[str, Any] | None:
        opened = self.open(data, aad)
        if opened is None:
            return None
        document: dict[str, Any] = json.loads(opened)
        return document


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """A column of sealed values, declared by the repository that seals it, so key
    rotation (persistence/keys) re-seals every one without knowing the features.

    `aad` rebuilds a value's associated data from its row (the columns in `needs`); the key
    id travels inside the value (`pack`) or, with `kid_column`, in a column of its own.
    """

    table: str
    column: str
    aad: Callable[[Any], str]
    needs: tuple[str, ...] = ("id",)
    kid_column: str | None = None

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class KeyedHashColumn:
    """A column of keyed hashes with the id of the hash key each was made under.

    `source` is where the hashed value is kept sealed, so it can be re-hashed under a new
    key (`to_value` turns the opened text into the hashed value); None when the value is
    never kept (a receipt): such hashes move to the new key when the value is presented.
    """

    table: str
    column: str
    kid_column: str
    purpose: str
    source: SealedColumn | None = None
    to_value: Callable[[str], str] = str

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def development_keyring() -> KeyRing:
    """Fixed keys for development and tests only (settings refuse them in production)."""
    return KeyRing(
        {"dev1": hashlib.sha256(b"duangta-dev-data-key-1").digest()},
        "dev1",
        {"devh1": hashlib.sha256(b"duangta-dev-hash-key").digest()},
        "devh1",
    )
