"""Access tokens at the unit level: what decode_access_token refuses and accepts."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from auth.tokens import InvalidToken, TokenConfig, decode_access_token, issue_access_token
from domain.policy import Principal, Role

SECRET = "unit-test-secret-of-at-least-32-bytes!!"
CONFIG = TokenConfig(keys={"k1": SECRET}, current_kid="k1", issuer="duangta", audience="api")
WHO = Principal(account_id=uuid.uuid4(), role=Role.PROVINCIAL_OFFICER, province_code="40")


def now() -> datetime:
    return datetime.now(UTC)


def test_a_fresh_token_round_trips() -> None:
    issued = issue_access_token(CONFIG, WHO, now=now())
    assert decode_access_token(CONFIG, issued.token) == WHO
    assert jwt.get_unverified_header(issued.token) == {"alg": "HS256", "kid": "k1", "typ": "JWT"}


def test_the_previous_key_verifies_after_rotation() -> None:
    old = issue_access_token(CONFIG, WHO, now=now()).token
    rotated = TokenConfig(
        keys={"k2": "a-new-secret-of-at-least-32-bytes-long", "k1": SECRET},
        current_kid="k2",
        issuer="duangta",
        audience="api",
    )
    assert decode_access_token(rotated, old) == WHO
    assert (
        jwt.get_unverified_header(issue_access_token(rotated, WHO, now=now()).token)["kid"] == "k2"
    )
    retired = TokenConfig(
        keys={"k2": "a-new-secret-of-at-least-32-bytes-long"},
        current_kid="k2",
        issuer="duangta",
        audience="api",
    )
    with pytest.raises(InvalidToken):
        decode_access_token(retired, old)


@pytest.mark.parametrize(
    "config",
    [
        TokenConfig(keys={"k1": SECRET}, current_kid="k1", issuer="duangta", audience="other"),
        TokenConfig(keys={"k1": SECRET}, current_kid="k1", issuer="other", audience="api"),
        TokenConfig(keys={"k9": SECRET}, current_kid="k9", issuer="duangta", audience="api"),
        TokenConfig(
            keys={"k1": "a-forger-secret-of-at-least-32-bytes!"},
            current_kid="k1",
            issuer="duangta",
            audience="api",
        ),
    ],
    ids=["wrong-aud", "wrong-iss", "unknown-kid", "forged-signature"],
)
def test_tokens_from_elsewhere_are_refused(config: TokenConfig) -> None:
    token = issue_access_token(config, WHO, now=now()).token
    with pytest.raises(InvalidToken):
        decode_access_token(CONFIG, token)


@pytest.mark.parametrize(
    "issued_at", [timedelta(minutes=-16), timedelta(minutes=5)], ids=["expired", "not-yet-valid"]
)
def test_tokens_outside_their_lifetime_are_refused(issued_at: timedelta) -> None:
    token = issue_access_token(CONFIG, WHO, now=now() + issued_at).token
    with pytest.raises(InvalidToken):
        decode_access_token(CONFIG, token)


def _b64(document: dict[str, object]) -> str:
    raw = json.dumps(document).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_alg_none_and_other_algorithms_are_refused() -> None:
    at = int(now().timestamp())
    claims: dict[str, object] = {"sub": str(WHO.account_id), "role": "admin", "iat": at}
    claims |= {"nbf": at, "exp": at + 300, "jti": "x", "iss": "duangta", "aud": "api"}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{_b64(claims)}."
    with pytest.raises(InvalidToken):
        decode_access_token(CONFIG, unsigned)
    long_key = SECRET * 2
    config = TokenConfig(keys={"k1": long_key}, current_kid="k1", issuer="duangta", audience="api")
    hs512 = jwt.encode(claims, long_key, algorithm="HS512", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        decode_access_token(config, hs512)


def test_missing_claims_and_unknown_roles_are_refused() -> None:
    base = {"sub": str(WHO.account_id), "role": "admin", "iat": now(), "nbf": now(), "tv": 1}
    base |= {"exp": now() + timedelta(minutes=5), "jti": "x", "iss": "duangta", "aud": "api"}
    assert (
        decode_access_token(CONFIG, jwt.encode(base, SECRET, headers={"kid": "k1"})).role
        is Role.ADMIN
    )
    for missing in ("sub", "role", "jti", "exp", "tv"):
        claims = {k: v for k, v in base.items() if k != missing}
        with pytest.raises(InvalidToken):
            decode_access_token(CONFIG, jwt.encode(claims, SECRET, headers={"kid": "k1"}))
    with pytest.raises(InvalidToken):
        decode_access_token(
            CONFIG, jwt.encode({**base, "role": "king"}, SECRET, headers={"kid": "k1"})
        )


def test_an_access_token_never_outlives_its_session() -> None:
    issued_at = now()
    ends = issued_at + timedelta(minutes=4)
    clamped = issue_access_token(CONFIG, WHO, now=issued_at, not_after=ends)
    assert clamped.expires_at == ends
    assert jwt.decode(clamped.token, options={"verify_signature": False})["exp"] == int(
        ends.timestamp()
    )
    later = issue_access_token(CONFIG, WHO, now=issued_at, not_after=issued_at + timedelta(days=1))
    assert later.expires_at == issued_at + CONFIG.access_ttl
