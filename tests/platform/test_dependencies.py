"""Every dependency of every route is a coroutine (or an async generator).

FastAPI runs a plain `def` dependency (and a class used as one) in a worker thread: a
thread hop on every request for a one-line function. A test keeps them all async.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


def _dependencies(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def test_no_route_has_a_synchronous_dependency(app: FastAPI) -> None:
    synchronous = set()
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    checked = 0
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        checked += 1
        for dependency in _dependencies(route.dependant):
            call = dependency.call
            if call is None:
                continue
            target = call if inspect.isfunction(call) or inspect.isclass(call) else call.__call__
            if inspect.isclass(target) or not (
                inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)
            ):
                synchronous.add(f"{route.path}: {getattr(call, '__qualname__', call)}")
        if not inspect.iscoroutinefunction(route.endpoint):
            synchronous.add(f"{route.path}: the endpoint {route.endpoint.__qualname__}")
    assert checked >= 40
    assert not synchronous, sorted(synchronous)
