"""The HTTP API: ``create_app`` builds it; ``meterguard serve`` runs it under uvicorn.

Every route but ``/health`` needs ``Authorization: Bearer <API key>``. The web pages (the consumer
portal and the operator pages) are a separate router authenticated by their own sign-in sessions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from meterguard import bootstrap
from meterguard.domain.time import Instant
from meterguard.entrypoints import web
from meterguard.entrypoints.http import errors
from meterguard.entrypoints.http.auth import BEARER_SCHEME
from meterguard.entrypoints.http.routes import (
    admin,
    consents,
    decisions,
    devices,
    devices_services,
    health,
    matrix_changes,
    readings,
    reference,
)
from meterguard.entrypoints.http.state import HubState, daily_limit_from_environment

API_VERSION = "1.0.0"


def create_app(
    engine: Engine | None = None,
    *,
    database_url: str | None = None,
    clock: Callable[[], Instant] | None = None,
    ou_daily_meter_points: int | None = None,
    lazy: bool = True,
) -> FastAPI:
    """The API over ``engine`` (or the database at ``database_url``, or MG_DATABASE_URL)."""
    engine = engine if engine is not None else bootstrap.database(database_url)
    now = clock or bootstrap.system_clock
    limit = (
        ou_daily_meter_points
        if ou_daily_meter_points is not None
        else daily_limit_from_environment()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.hub.audited.aclose()  # the hot routes' own connections
        app.state.hub.facts.close()  # the change feed's own connection

    app = FastAPI(
        lifespan=lifespan,
        title="MeterGuard",
        version=API_VERSION,
        summary="Who may have which smart-meter data about which meter point for which period.",
        description=(
            "Every route under /v1 needs `Authorization: Bearer <API key>` (issued with "
            '`meterguard keys issue`). Errors are JSON: `{"code": ..., "message": ...}`.'
        ),
    )
    facts = bootstrap.snapshot_follower(engine, lazy=lazy)
    keys = bootstrap.api_keys(engine, now)
    feed, audited = bootstrap.request_rounds(engine, facts, lambda changes: keys.forget())
    app.state.hub = HubState(
        engine=engine,
        facts=facts,
        keys=keys,
        releases=bootstrap.release_store(engine),
        ou_limit=bootstrap.daily_meter_points(engine, limit),
        clock=now,
        feed=feed,
        audited=audited,
    )
    errors.install(app)
    declare_bearer_security(app)
    app.include_router(health.router)
    app.include_router(decisions.router)
    app.include_router(readings.router)
    app.include_router(reference.router)
    app.include_router(devices.router)
    app.include_router(devices_services.router)
    app.include_router(consents.router)
    app.include_router(admin.router)
    app.include_router(matrix_changes.router)
    web.attach_to_hub(app)  # the consumer portal and the operator pages, on the same hub
    return app


def declare_bearer_security(app: FastAPI) -> None:
    """Every route under /v1 needs a bearer key: said once for the whole published document,
    since authentication is one plain dependency (``auth.principal``), not a security class."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # built once, then remembered by FastAPI
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        if BEARER_SCHEME not in schemes:
            schemes[BEARER_SCHEME] = {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key from `meterguard keys issue`.",
            }
            for path, operations in schema.get("paths", {}).items():
                if path.startswith("/v1/"):
                    for operation in operations.values():
                        operation["security"] = [{BEARER_SCHEME: []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` (each worker process builds its own): MG_DATABASE_URL."""
    return create_app()
