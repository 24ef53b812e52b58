"""The tips API schemas and their contract, without a database: examples that validate,
plain component names, optional bodies, the `view` discriminator, money as a string."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from pydantic import BaseModel, ValidationError

from api.openapi import OPENAPI_PATH
from api.tips import schemas
from domain.tips.model import Accused, Contact, Incident, TipCategory, TipChannel

MODELS = [
    model
    for model in vars(schemas).values()
    if inspect.isclass(model)
    and issubclass(model, BaseModel)
    and model.__module__ == schemas.__name__
    and model.__name__.isidentifier()  # not pydantic's `PagePublic[...]` parametrisations
    and not model.__name__.startswith("_")
]
TIP_OPERATIONS = {
    ("/api/v1/tips", "post"): "tips_create",
    ("/api/v1/tips", "get"): "tips_list",
    ("/api/v1/tips/follow-up", "post"): "tips_follow_up",
    ("/api/v1/tips/follow-up/messages", "post"): "tips_follow_up_message",
    ("/api/v1/tips/{tip_id}", "get"): "tips_get",
    ("/api/v1/tips/{tip_id}/acknowledge", "post"): "tips_acknowledge",
    ("/api/v1/tips/{tip_id}/review", "post"): "tips_review",
    ("/api/v1/tips/{tip_id}/close", "post"): "tips_close",
    ("/api/v1/tips/{tip_id}/reassign", "post"): "tips_reassign",
    ("/api/v1/tips/{tip_id}/messages", "get"): "tips_messages_list",
    ("/api/v1/tips/{tip_id}/messages", "post"): "tips_messages_create",
    ("/api/v1/tips/{tip_id}/links", "post"): "tips_links_create",
    ("/api/v1/tips/{tip_id}/disclosure-requests", "post"): "tips_request_disclosure",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The committed OpenAPI document (a contract test keeps it equal to the app's)."""
    loaded: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_example_is_complete_and_valid(model: type[BaseModel]) -> None:
    """Against the model's own schema, as requests and as responses (required nullable
    fields included: the schema requires them)."""
    for mode in ("validation", "serialization"):
        schema = model.model_json_schema(mode=mode)
        for example in schema.get("examples", []):
            validator = OAS31Validator(schema, format_checker=oas31_format_checker)
            assert [e.message for e in validator.iter_errors(example)] == [], mode
            model.model_validate_json(json.dumps(example))


def test_operation_ids_and_paths_are_stable(document: dict[str, Any]) -> None:
    found = {
        (path, method): operation["operationId"]
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/tips")
        for method, operation in item.items()
    }
    assert found == TIP_OPERATIONS
    for (path, method), _ in TIP_OPERATIONS.items():
        description = document["paths"][path][method].get("description", "")
        assert len(description) > 40, (path, method)


def test_components_have_plain_names(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    assert not {name for name in names if "__" in name}
    assert {"TipStatusChangePublic", "TipEventPublic", "TipSummaryPage"} <= names
    assert {model.__name__ for model in MODELS} <= names


def test_acknowledge_and_review_bodies_are_optional_plain_schemas(
    document: dict[str, Any],
) -> None:
    for move in ("acknowledge", "review"):
        body = document["paths"][f"/api/v1/tips/{{tip_id}}/{move}"]["post"]["requestBody"]
        assert body["required"] is False
        assert body["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/TipTransition"
        }


def test_the_two_views_of_a_tip_require_their_discriminator(document: dict[str, Any]) -> None:
    response = document["paths"]["/api/v1/tips/{tip_id}"]["get"]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    assert schema["discriminator"]["propertyName"] == "view"
    components = document["components"]["schemas"]
    for name, value in (("TipPublic", "full"), ("TipReporterPublic", "reporter")):
        assert "view" in components[name]["required"]
        assert components[name]["properties"]["view"]["const"] == value


def test_money_is_one_decimal_string_type_in_and_out(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    incoming = components["TipCreate"]["properties"]["amount_thb"]["anyOf"]
    outgoing = components["TipPublic"]["properties"]["amount_thb"]["anyOf"]
    assert incoming == outgoing
    money, null = incoming
    assert null == {"type": "null"}
    assert money["type"] == "string"
    assert money["format"] == "decimal"
    assert money["pattern"] == r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def test_tip_creation_documents_its_headers(document: dict[str, Any]) -> None:
    created = document["paths"]["/api/v1/tips"]["post"]["responses"]["201"]
    assert set(created["headers"]) >= {"Location", "Idempotent-Replayed"}


def test_a_submission_is_built_from_the_body_in_one_step() -> None:
    body = schemas.TipCreate.model_validate_json(
        json.dumps(
            {
                "province_code": "TH-40",
                "category": "fund_fraud",
                "description": "ก" * 20,
                "accused": {"office": "สำนักงาน", "is_provincial_labour_office": True},
                "incident_period_start": "2026-10-01",
                "location": "อำเภอเมือง",
                "amount_thb": "5000.5",
                "contact": {"phone": "0812345678"},
            }
        )
    )
    submission = body.submission()
    assert submission.province_code == "TH-40"
    assert submission.category is TipCategory.FUND_FRAUD
    assert submission.channel is TipChannel.WEB
    assert submission.amount_thb == Decimal("5000.5")
    assert submission.incident == Incident(period_start=body.incident_period_start)
    assert submission.accused == Accused(office="สำนักงาน", is_provincial_labour_office=True)
    assert submission.contact == Contact(phone="0812345678")
    assert submission.location == "อำเภอเมือง"


@pytest.mark.parametrize("amount", [12.345, "12.345", "1e3", "-0.01", " 5", "5.", True])
def test_amounts_outside_the_pattern_are_refused(amount: object) -> None:
    with pytest.raises(ValidationError, match="decimal string"):
        schemas.TipCreate.model_validate(
            {
                "province_code": "40",
                "category": "other",
                "description": "ก" * 20,
                "amount_thb": amount,
            }
        )
