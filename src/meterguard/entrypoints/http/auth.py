"""Bearer-key authentication and the role checks every route makes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from meterguard.entrypoints.http.errors import forbidden, unauthenticated
from meterguard.entrypoints.http.state import HubState
from meterguard.services.api_keys import Principal

BEARER_SCHEME = "HTTPBearer"  # the OpenAPI security scheme every /v1 route declares (app.py)


async def hub(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


Hub = Annotated[HubState, Depends(hub)]


def presented_key(request: Request) -> str | None:
    """The key of ``Authorization: Bearer <key>`` (the scheme in any case), or None."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


async def principal(request: Request) -> Principal:
    """Who is calling. Runs the change feed first, so a revoked key or a party's lost role is
    honoured by this very request.

    One dependency that reads the header itself: FastAPI spends more per request solving a chain
    of dependencies than the hub spends deciding. The hot routes and their dependencies are
    ``async`` and wait for the database without blocking the event loop (``pg_rounds``); long
    operator reads stay plain functions, run in the thread pool."""
    key = presented_key(request)
    if key is None:
        raise unauthenticated()
    state: HubState = request.app.state.hub
    await state.catch_up()
    found = state.keys.authenticate(key)
    if found is None:
        raise unauthenticated("the API key is not known to this hub or has been revoked")
    return found


Caller = Annotated[Principal, Depends(principal)]


async def operator(caller: Caller) -> Principal:
    if not caller.is_operator:
        raise forbidden("OPERATOR_ONLY", "this route is for the hub's operators")
    return caller


Operator = Annotated[Principal, Depends(operator)]


def require_role(caller: Principal, role: str) -> None:
    """The role named in a request must be one the calling party holds."""
    if caller.is_operator:
        raise forbidden(
            "OPERATOR_IS_NOT_A_PARTY",
            "operators administer the hub; data is asked for by a party with its own key",
        )
    if not caller.holds(role):
        raise forbidden("ROLE_NOT_HELD", f"party {caller.party_id} does not hold role {role}")
