"""Feature routers added to the app as flat routes, not as included routers.

Since FastAPI 0.165 `include_router` no longer copies routes: the app's route list holds
one lazy `_IncludedRouter` per feature router, and every request walks them through
"effective route contexts", matching the chosen router twice (once to find it, once to
dispatch) and swapping context keys in the scope around every candidate. With ~21
routers that was ~10% of a cheap request's CPU.

`add_flat` adds each route of a router to the app's own router with the public
`add_api_route`, passing the same values FastAPI's effective context resolves for an
included route (`_EffectiveRouteContext.from_api_route`): the app's router then matches
plain `APIRoute`s in the same order, with the same 404/405 answers, operationIds and
OpenAPI document. Our routers take their prefix and tags in their constructor (already in
each route's path and tags) and `include_router` was called with no options, so nothing of
the inclusion itself is lost; `add_flat` refuses a router it could not flatten faithfully.
tests/platform/test_routing.py compares every flat route with the included one.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute


def add_flat(app: FastAPI, router: APIRouter) -> None:
    """Add `router`'s routes to `app` as `app.include_router(router)` would route them."""
    # Settings a router applies at inclusion time (not when a route is declared) would
    # be dropped here: refuse rather than route differently.
    if router.on_startup or router.on_shutdown or router.max_body_size is not None:
        raise ValueError(f"router {router.prefix!r} needs include_router")
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise ValueError(f"{route!r} is not an APIRoute: include its router instead")
        app.router.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=list(route.tags),
            dependencies=list(route.dependencies),
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=dict(route.responses),
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            route_class_override=type(route),
            callbacks=list(route.callbacks or []),
            openapi_extra=route.openapi_extra,
            # The router's own defaults (a placeholder unless set) yield to the app's,
            # as in an inclusion: the app's `generate_unique_id_function` names them.
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
            form_limits=route.form_limits or None,
        )
