"""API clients without a database: secrets, scopes, rotation, revocation, the policy's
client rows and the client tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from auth.tokens import (
    InvalidToken,
    TokenConfig,
    decode_access_token,
    issue_access_token,
    issue_client_token,
)
from domain import policy
from domain.audit.model import AuditActor, AuditEntry, canonical_encoding
from domain.clients.model import ApiClient, format_scopes, new_secret, parse_scopes
from domain.errors import Forbidden, InvalidInput
from domain.policy import (
    CLIENT_RULES,
    CLIENT_SCOPE_DESCRIPTIONS,
    Action,
    ClientScope,
    Principal,
    RecordScope,
    Role,
    Scope,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
READ, WRITE = ClientScope.REFERRALS_READ, ClientScope.REFERRALS_WRITE


def a_client(scopes: frozenset[ClientScope] = frozenset({READ, WRITE})) -> ApiClient:
    return ApiClient.new(
        name="  PACC   case system ",
        agency_code="PACC",
        scopes=scopes,
        secret_hash="a" * 64,
        actor=None,
        at=NOW,
    )


def test_secrets_are_long_random_and_recognisable() -> None:
    secrets = {new_secret() for _ in range(100)}
    assert len(secrets) == 100
    for secret in secrets:
        assert secret.startswith("dtc_")
        assert len(secret) == 4 + 43  # 256 bits, URL-safe base64


def test_scopes_are_a_closed_documented_list() -> None:
    assert {scope.value for scope in ClientScope} >= {
        "referrals:read",
        "referrals:write",
        "webhooks:manage",
        "changes:read",
    }
    assert set(CLIENT_SCOPE_DESCRIPTIONS) == set(ClientScope)
    assert parse_scopes("referrals:write  referrals:read") == {READ, WRITE}
    assert parse_scopes([]) == frozenset()
    assert format_scopes({WRITE, READ}) == "referrals:read referrals:write"
    with pytest.raises(InvalidInput, match="Unknown scope 'admin'"):
        parse_scopes("referrals:read admin")


def test_a_client_needs_a_name_and_a_scope() -> None:
    assert a_client().name == "PACC case system"
    with pytest.raises(InvalidInput):
        a_client(frozenset())
    with pytest.raises(InvalidInput):
        ApiClient.new(
            name="  ",
            agency_code="PACC",
            scopes=frozenset({READ}),
            secret_hash="",
            actor=None,
            at=NOW,
        )


def test_rotation_keeps_the_old_secret_for_the_overlap_only() -> None:
    client = a_client()
    assert client.accepts("a" * 64, NOW) == "current"
    assert client.accepts("b" * 64, NOW) is None
    client.rotate("b" * 64, now=NOW, old_valid_until=NOW + timedelta(hours=24))
    assert client.version == 2
    assert client.accepts("b" * 64, NOW) == "current"
    assert client.accepts("a" * 64, NOW + timedelta(hours=23)) == "previous"
    assert client.accepts("a" * 64, NOW + timedelta(hours=24)) is None
    # A second rotation drops the first secret: two at once, never more.
    client.rotate("c" * 64, now=NOW, old_valid_until=NOW + timedelta(hours=1))
    assert client.accepts("a" * 64, NOW) is None
    assert client.accepts("b" * 64, NOW) == "previous"
    # No overlap at all (a leaked secret).
    client.rotate("d" * 64, now=NOW, old_valid_until=NOW)
    assert client.accepts("c" * 64, NOW) is None
    assert client.previous_secret_hash is None
    with pytest.raises(InvalidInput, match="30 days"):
        client.rotate("e" * 64, now=NOW, old_valid_until=NOW + timedelta(days=31))


def test_revocation_is_final_and_tokens_stop_matching() -> None:
    client = a_client()
    claimed = client.principal(frozenset({READ}))
    assert client.matches(claimed)
    assert not client.matches(client.principal(frozenset({READ, ClientScope.CHANGES_READ})))
    assert not client.matches(
        Principal.client(client.id, agency_code="NACC", scopes=frozenset({READ}))
    )
    assert client.revoke(NOW)
    assert not client.revoke(NOW)
    assert not client.matches(claimed)
    assert not client.is_active
    assert client.previous_secret_hash is None


def test_the_policy_lets_clients_do_only_what_their_scopes_name() -> None:
    reader = Principal.client(uuid.uuid4(), agency_code="PACC", scopes=frozenset({READ}))
    assert reader.is_client
    assert reader.role_name == "client"
    assert policy.require(reader, Action.REFERRAL_READ) is Scope.OWN
    assert policy.require(reader, Action.AGENCY_READ) is Scope.ALL
    with pytest.raises(Forbidden, match="lacks the scope 'referrals:write'"):
        policy.require(reader, Action.REFERRAL_UPDATE)
    with pytest.raises(Forbidden, match="API clients may not"):
        policy.require(reader, Action.ME_READ)
    with pytest.raises(Forbidden):
        policy.require(reader, Action.CLIENT_MANAGE)
    # Every scoped rule is a partner action: the partner role may do it too.
    for action, scope in CLIENT_RULES.items():
        if scope is not None:
            assert Role.PARTNER in policy.RULES[action], action
    assert CLIENT_RULES[Action.WEBHOOK_MANAGE] is ClientScope.WEBHOOKS_MANAGE
    assert CLIENT_RULES[Action.CHANGES_READ] is ClientScope.CHANGES_READ
    # Own scope = own agency.
    changes = Principal.client(
        uuid.uuid4(), agency_code="PACC", scopes=frozenset({ClientScope.CHANGES_READ})
    )
    assert policy.can_access(changes, Action.CHANGES_READ, RecordScope(agency_code="PACC"))
    assert not policy.can_access(changes, Action.CHANGES_READ, RecordScope(agency_code="NACC"))
    assert not policy.can_access(changes, Action.CHANGES_READ, RecordScope())
    partner = Principal(uuid.uuid4(), Role.PARTNER, agency_code="PACC")
    assert policy.can_access(partner, Action.CHANGES_READ, RecordScope(agency_code="PACC"))
    assert not policy.can_access(partner, Action.CHANGES_READ, RecordScope(agency_code="NACC"))


def test_a_client_actor_fits_the_existing_canonical_encoding() -> None:
    client = a_client()
    assert AuditActor.of(client.principal()) == client.actor()
    assert client.actor().role == "client"
    entry = AuditEntry(
        seq=1,
        occurred_at=NOW,
        actor_id=str(client.id),
        actor_role="client",
        action="referral.updated",
        entity_type="referral",
        entity_id=None,
        province_code=None,
        request_id=None,
    )
    # The same eleven fields as every other entry: no new member, existing hashes hold.
    assert canonical_encoding(entry).startswith(b'{"action":"referral.updated","actor_id":')
    assert b'"actor_role":"client"' in canonical_encoding(entry)


def test_client_tokens_carry_client_agency_and_scopes() -> None:
    config = TokenConfig(keys={"k1": "x" * 32}, current_kid="k1", issuer="i", audience="a")
    client = a_client()
    issued = issue_client_token(
        config,
        client.principal(frozenset({READ})),
        now=datetime.now(UTC),
        ttl=timedelta(minutes=10),
    )
    decoded = decode_access_token(config, issued.token)
    assert decoded == Principal.client(client.id, agency_code="PACC", scopes=frozenset({READ}))
    with pytest.raises(ValueError, match="issue_client_token"):
        issue_access_token(config, decoded, now=datetime.now(UTC))
    with pytest.raises(ValueError, match="client principal"):
        issue_client_token(
            config,
            Principal(uuid.uuid4(), Role.PARTNER, agency_code="PACC"),
            now=datetime.now(UTC),
            ttl=timedelta(minutes=1),
        )


def test_a_client_token_with_an_unknown_scope_is_refused() -> None:
    config = TokenConfig(keys={"k1": "x" * 32}, current_kid="k1", issuer="i", audience="a")
    client_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    claims = {
        "sub": client_id,
        "client_id": client_id,
        "role": "client",
        "agency": "PACC",
        "scope": "referrals:read everything",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": "j",
        "iss": "i",
        "aud": "a",
    }
    token = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        decode_access_token(config, token)
    claims["scope"] = "referrals:read"
    claims["client_id"] = str(uuid.uuid4())  # sub and client_id must agree
    token = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        decode_access_token(config, token)
