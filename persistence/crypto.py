"""Encryption at rest for confidential fields, and keyed hashes for look-ups.

A `KeyRing` holds AES-256-GCM data keys by key id: the current key seals new values,
every key in the ring opens old ones, so keys rotate without re-encrypting at once.
Each sealed value travels with the id of its key. Associated data (e.g. the record id
and field name) binds a ciphertext to its place, so it cannot be moved to another row.

Keyed hashes (HMAC-SHA-256 under a separate key, with a purpose label) let us enforce
uniqueness or find a record by a secret (a national ID, a receipt) without storing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class DecryptionFailed(Exception):
    """The value was altered, moved, or sealed with a key the ring does not hold."""


@dataclass(frozen=True, slots=True)
class Sealed:
    kid: str
    blob: bytes  # nonce || ciphertext || tag


class KeyRing:
    def __init__(self, keys: dict[str, bytes], current_kid: str, hash_key: bytes) -> None:
        if current_kid not in keys:
            raise ValueError("the current data key id has no key")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"data key {kid!r} must be 32 bytes")
        if len(hash_key) < 32:
            raise ValueError("the hash key must be at least 32 bytes")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current_kid = current_kid
        self._hash_key = hash_key

    @classmethod
    def parse(cls, keys: str, current_kid: str, hash_key: str) -> KeyRing:
        """`keys` is 'kid:base64key,kid:base64key'; `hash_key` is base64."""
        parsed: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in keys.split(","))):
            kid, _, encoded = item.partition(":")
            parsed[kid.strip()] = base64.b64decode(encoded)
        return cls(parsed, current_kid, base64.b64decode(hash_key))

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

    def keyed_hash(self, value: str, *, purpose: str) -> str:
        """Hex HMAC-SHA-256 of the value, separated by purpose (e.g. 'national_id')."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()


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


def development_keyring() -> KeyRing:
    """Fixed keys for development and tests only (settings refuse them in production)."""
    return KeyRing(
        {"dev1": hashlib.sha256(b"duangta-dev-data-key-1").digest()},
        "dev1",
        hashlib.sha256(b"duangta-dev-hash-key").digest(),
    )
