"""The app's flat routes (api/routing.py) route as `include_router` would.

FastAPI resolves an included route lazily (its effective route context); `add_flat`
copies the same values onto plain routes. If FastAPI changes what an inclusion applies,
a reference app that includes the same routers differs here, loudly.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import FEATURE_ROUTERS, _operation_id
from api.routing import add_flat

#: What dispatch and the OpenAPI document read from a route.
ATTRIBUTES = (
    "path",
    "path_format",
    "name",
    "methods",
    "unique_id",
    "operation_id",
    "tags",
    "responses",
    "status_code",
    "response_class",
    "response_model",
    "dependencies",
    "include_in_schema",
    "deprecated",
    "callbacks",
    "openapi_extra",
    "summary",
    "description",
    "max_body_size",
    "strict_content_type",
)


def _apps() -> tuple[FastAPI, FastAPI]:
    included = FastAPI(generate_unique_id_function=_operation_id)
    flat = FastAPI(generate_unique_id_function=_operation_id)
    for router in FEATURE_ROUTERS:
        included.include_router(router)
        add_flat(flat, router)
    return included, flat


def test_flat_routes_are_the_included_routes() -> None:
    included, flat = _apps()
    expected = list(iter_route_contexts(included.routes))
    actual = list(iter_route_contexts(flat.routes))
    assert [c.path for c in actual] == [c.path for c in expected]
    checked = 0
    for want, got in zip(expected, actual, strict=True):
        if not isinstance(want.original_route, APIRoute):
            continue  # the docs pages, added by FastAPI itself
        checked += 1
        assert isinstance(got.original_route, APIRoute)
        for attribute in ATTRIBUTES:
            assert getattr(got, attribute) == getattr(want, attribute), (want.path, attribute)
        # `app.dependency_overrides` apply: each route asks its own app.
        assert want.dependency_overrides_provider is included
        assert got.dependency_overrides_provider is flat
        assert got.original_route.form_limits == want.original_route.form_limits
    assert checked > 50


def test_flat_app_documents_the_same_operations() -> None:
    included, flat = _apps()
    assert flat.openapi() == included.openapi()


def test_the_app_has_no_included_router(app: FastAPI) -> None:
    # Every route is matched directly: nothing is resolved per request.
    assert all(c.original_route is c.route for c in iter_route_contexts(app.routes))
