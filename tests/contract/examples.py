"""Validate every example of an OpenAPI 3.1 document against the schema it illustrates.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so each example is checked with
`jsonschema.Draft202012Validator`; `$ref`s (e.g. `#/components/schemas/X`) resolve
against the document itself through a `referencing` registry.

Covered:
- Schema Objects anywhere (components, parameters, headers, media types, and every
  nested subschema): the `examples` array and the deprecated `example` keyword.
- Parameter, Header and Media Type Objects (request bodies, responses): `example` and
  the `examples` map of Example Objects (`value`; `$ref` to `#/components/examples/...`
  is followed; `externalValue` is skipped).

Used by tests/contract/test_gates.py: `assert not list(iter_example_failures(document))`.
As a script: `python -m tests.contract.examples openapi/openapi.json` (exit 1 on failures).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

# No type stubs in the dev dependencies (types-jsonschema would remove these ignores).
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, relevance  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["iter_example_failures"]

_BASE_URI = "urn:openapi-document"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: Keywords whose value is one subschema / a list of subschemas / a map of subschemas.
_SUBSCHEMA = (
    "items",
    "not",
    "additionalProperties",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str | int) -> str:
    return "".join("/" + _escape(str(t)) for t in tokens)


class _Checker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(_BASE_URI, resource)

    def validator(self, schema_pointer: str) -> Draft202012Validator:
        # Validate through a $ref to the schema's location, so that relative refs inside
        # it ("#/components/schemas/...") resolve against the whole document.
        return Draft202012Validator(
            {"$ref": f"{_BASE_URI}#{schema_pointer}"},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def check(self, instance: Any, schema_pointer: str, example_pointer: str) -> Iterator[str]:
        errors = sorted(self.validator(schema_pointer).iter_errors(instance), key=_error_key)
        for error in errors:
            yield f"{example_pointer}: {_describe(error)}"

    def deref_example(self, example: Any) -> Any:
        """An Example Object, following a `$ref` to `#/components/examples/...`."""
        seen = 0
        while isinstance(example, dict) and "$ref" in example and seen < 10:
            ref = example["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return None
            node: Any = self.spec
            for token in ref[2:].split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
            example, seen = node, seen + 1
        return example

    # -- walkers -------------------------------------------------------------------------

    def schema(self, schema: Any, at: tuple[str | int, ...]) -> Iterator[str]:
        """A Schema Object and every subschema in it."""
        if not isinstance(schema, dict):
            return
        where = _pointer(*at)
        examples = schema.get("examples")
        if isinstance(examples, list):
            for i, value in enumerate(examples):
                yield from self.check(value, where, _pointer(*at, "examples", i))
        if "example" in schema:
            yield from self.check(schema["example"], where, _pointer(*at, "example"))
        for key in _SUBSCHEMA:
            if isinstance(schema.get(key), dict):
                yield from self.schema(schema[key], (*at, key))
        for key in _SUBSCHEMA_LISTS:
            if isinstance(schema.get(key), list):
                for i, sub in enumerate(schema[key]):
                    yield from self.schema(sub, (*at, key, i))
        for key in _SUBSCHEMA_MAPS:
            if isinstance(schema.get(key), dict):
                for name, sub in schema[key].items():
                    yield from self.schema(sub, (*at, key, name))

    def with_examples(self, obj: Any, at: tuple[str | int, ...]) -> Iterator[str]:
        """A Parameter, Header or Media Type Object: `schema`, `example`, `examples`."""
        if not isinstance(obj, dict) or "$ref" in obj:
            return  # reference objects are checked where they are defined
        if "schema" in obj:
            yield from self.schema(obj["schema"], (*at, "schema"))
            schema_at = _pointer(*at, "schema")
            if "example" in obj:
                yield from self.check(obj["example"], schema_at, _pointer(*at, "example"))
            if isinstance(obj.get("examples"), dict):
                for name, example in obj["examples"].items():
                    example = self.deref_example(example)
                    if isinstance(example, dict) and "value" in example:
                        yield from self.check(
                            example["value"], schema_at, _pointer(*at, "examples", name, "value")
                        )
        for media_type, media in (obj.get("content") or {}).items():
            yield from self.with_examples(media, (*at, "content", media_type))

    def response(self, response: Any, at: tuple[str | int, ...]) -> Iterator[str]:
        if not isinstance(response, dict) or "$ref" in response:
            return
        for name, header in (response.get("headers") or {}).items():
            yield from self.with_examples(header, (*at, "headers", name))
        for media_type, media in (response.get("content") or {}).items():
            yield from self.with_examples(media, (*at, "content", media_type))

    def operation(self, operation: Any, at: tuple[str | int, ...]) -> Iterator[str]:
        if not isinstance(operation, dict):
            return
        for i, parameter in enumerate(operation.get("parameters") or []):
            yield from self.with_examples(parameter, (*at, "parameters", i))
        body = operation.get("requestBody")
        if isinstance(body, dict) and "$ref" not in body:
            for media_type, media in (body.get("content") or {}).items():
                yield from self.with_examples(media, (*at, "requestBody", "content", media_type))
        for status, response in (operation.get("responses") or {}).items():
            yield from self.response(response, (*at, "responses", status))

    def document(self) -> Iterator[str]:
        components = self.spec.get("components") or {}
        for name, schema in (components.get("schemas") or {}).items():
            yield from self.schema(schema, ("components", "schemas", name))
        for name, parameter in (components.get("parameters") or {}).items():
            yield from self.with_examples(parameter, ("components", "parameters", name))
        for name, header in (components.get("headers") or {}).items():
            yield from self.with_examples(header, ("components", "headers", name))
        for name, body in (components.get("requestBodies") or {}).items():
            for media_type, media in (body.get("content") or {}).items():
                yield from self.with_examples(
                    media, ("components", "requestBodies", name, "content", media_type)
                )
        for name, response in (components.get("responses") or {}).items():
            yield from self.response(response, ("components", "responses", name))
        for section in ("paths", "webhooks"):
            for path, item in (self.spec.get(section) or {}).items():
                if not isinstance(item, dict):
                    continue
                for i, parameter in enumerate(item.get("parameters") or []):
                    yield from self.with_examples(parameter, (section, path, "parameters", i))
                for method in _HTTP_METHODS:
                    if method in item:
                        yield from self.operation(item[method], (section, path, method))


def _error_key(error: ValidationError) -> tuple[str, str]:
    return (error.json_path, error.message)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: ValidationError) -> str:
    """The error, its place in the example, and for anyOf/oneOf why each branch failed."""
    where = error.json_path  # "$" is the example itself
    text = f"{where}: {_short(error.message)} (schema keyword `{error.validator}`)"
    if error.context:  # anyOf / oneOf: why each branch failed (first error of each)
        branches: dict[Any, ValidationError] = {}
        for sub in sorted(error.context, key=relevance):
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, sub)
        text += "; " + "; ".join(
            f"branch {branch}: {sub.json_path}: {_short(sub.message)}"
            for branch, sub in branches.items()
        )
    return text


def iter_example_failures(spec: dict[str, Any]) -> Iterator[str]:
    """Yield one line per example that does not validate against its own schema.

    Each line is `<JSON pointer of the example>: <JSON path in the example>: <reason>`.
    """
    yield from _Checker(spec).document()


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "openapi/openapi.json"
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    failures = list(iter_example_failures(spec))
    for line in failures:
        print(line)
    print(f"{len(failures)} failing example check(s) in {path}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
