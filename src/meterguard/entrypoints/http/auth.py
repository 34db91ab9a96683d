"""Bearer-key authentication and the role checks every route makes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from meterguard.entrypoints.http.errors import forbidden, unauthenticated
from meterguard.entrypoints.http.state import HubState
from meterguard.services.api_keys import Principal

_bearer = HTTPBearer(auto_error=False, description="An API key from `meterguard keys issue`.")


async def hub(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


Hub = Annotated[HubState, Depends(hub)]


async def principal(
    state: Hub,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Who is calling. Runs the change feed first, so a revoked key or a party's lost role is
    honoured by this very request.

    The hot routes and their dependencies are ``async`` and call the database inline: each
    request's work is a few short round trips and microseconds of deciding, which a server process
    does faster on its event loop than by handing it to a thread and back (two cores, two workers).
    Long operator reads stay plain functions, run in the thread pool."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthenticated()
    await state.catch_up()
    found = state.keys.authenticate(credentials.credentials)
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
