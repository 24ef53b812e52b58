from __future__ import annotations

import base64
import os

import pytest

from persistence.crypto import DecryptionFailed, KeyRing, Sealed


def ring(current: str, *kids: str, keys: dict[str, bytes] | None = None) -> KeyRing:
    return KeyRing(keys or {k: os.urandom(32) for k in kids}, current, b"h" * 32)


def test_seal_and_open_thai_text() -> None:
    keys = ring("k1", "k1")
    sealed = keys.seal("เจ้าหน้าที่เรียกรับเงิน", aad="tip:1:description")
    assert sealed.kid == "k1"
    assert "เจ้าหน้าที่".encode() not in sealed.blob
    assert keys.open(sealed, aad="tip:1:description") == "เจ้าหน้าที่เรียกรับเงิน"


def test_rotation_keeps_old_values_readable() -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    before = KeyRing({"k1": old_key}, "k1", b"h" * 32)
    sealed = before.seal("secret", aad="a")
    after = KeyRing({"k1": old_key, "k2": new_key}, "k2", b"h" * 32)
    assert after.open(sealed, aad="a") == "secret"
    assert after.seal("new", aad="a").kid == "k2"


def test_tampering_moving_or_unknown_keys_fail() -> None:
    keys = ring("k1", "k1")
    sealed = keys.seal("secret", aad="tip:1")
    flipped = Sealed(sealed.kid, sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))
    for bad, aad in [(flipped, "tip:1"), (sealed, "tip:2"), (Sealed("zz", sealed.blob), "tip:1")]:
        with pytest.raises(DecryptionFailed):
            keys.open(bad, aad=aad)


def test_keyed_hash_depends_on_key_and_purpose() -> None:
    a = KeyRing({"k": os.urandom(32)}, "k", b"a" * 32)
    b = KeyRing({"k": os.urandom(32)}, "k", b"b" * 32)
    assert a.keyed_hash("1101700230708", purpose="national_id") == a.keyed_hash(
        "1101700230708", purpose="national_id"
    )
    assert a.keyed_hash("x", purpose="national_id") != a.keyed_hash("x", purpose="receipt")
    assert a.keyed_hash("x", purpose="p") != b.keyed_hash("x", purpose="p")


def test_parse_from_settings_format() -> None:
    k1, k2 = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    parsed = KeyRing.parse(f"k1:{k1}, k2:{k2}", "k2", base64.b64encode(b"h" * 32).decode())
    assert parsed.current_kid == "k2"
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRing.parse("k1:AAAA", "k1", base64.b64encode(b"h" * 32).decode())


def test_hash_keys_rotate_by_id() -> None:
    old = KeyRing({"k": os.urandom(32)}, "k", {"h1": b"1" * 32}, "h1")
    rotating = KeyRing({"k": os.urandom(32)}, "k", {"h1": b"1" * 32, "h2": b"2" * 32}, "h2")
    made = old.keyed_hash("1101700230708", purpose="national_id")
    hashes = rotating.keyed_hashes("1101700230708", purpose="national_id")
    assert list(hashes) == ["h2", "h1"]  # the current key first
    assert hashes["h1"] == made
    assert rotating.keyed_hash("1101700230708", purpose="national_id") == hashes["h2"] != made
    assert rotating.hash_kid == "h2"
    with pytest.raises(ValueError, match="current hash key"):
        KeyRing({"k": os.urandom(32)}, "k", {"h1": b"1" * 32, "h2": b"2" * 32})


def test_a_single_base64_hash_key_still_parses() -> None:
    """DATA_HASH_KEY of earlier versions: one key, id "h1" (or DATA_HASH_KEY_ID)."""
    data = f"k1:{base64.b64encode(os.urandom(32)).decode()}"
    single = base64.b64encode(b"h" * 32).decode()
    assert KeyRing.parse(data, "k1", single).hash_key_ids == ["h1"]
    assert KeyRing.parse(data, "k1", single, "legacy").hash_key_ids == ["legacy"]
    both = KeyRing.parse(data, "k1", f"h2:{single}, h1:{single}", "h2")
    assert both.hash_key_ids == ["h2", "h1"]
