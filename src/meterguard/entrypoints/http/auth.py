"""Bearer-key authentication and the role checks every route makes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from meterguard.entrypoints.http.errors import forbidden, unauthenticated
from meterguard.entrypoints.http.state import HubState
from meterguard.services.api_keys import Principal

_bearer = HTTPBearer(auto_error=False, description="An API key from `meterguard keys issue`.")


def hub(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


Hub = Annotated[HubState, Depends(hub)]


def principal(
    state: Hub,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Who is calling. Runs the change feed first, so a revoked key or a party's lost role is
    honoured by this very request."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthenticated()
    state.catch_up()
    found = state.keys.authenticate(credentials.credentials)
    if found is None:
        raise unauthenticated("the API key is not known to this hub or has been revoked")
    return found


Caller = Annotated[Principal, Depends(principal)]


def operator(caller: Caller) -> Principal:
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
