"""The web pages: the consumer portal (``/portal``) and the operator pages (``/operator``).

``attach(app, web_portal)`` gives an app the pages: it keeps the ``bootstrap.WebPortal`` in
``app.state.web_portal``, where every page finds its services, and includes ``router``.
``attach_to_hub(app)`` (or ``app.include_router(router)``) does so for the HTTP API's app
(``create_app``): the pages then share its database, its live snapshot, its clock and its API keys
(an operator signs in with an operator key).
"""

from __future__ import annotations

from fastapi import FastAPI

from meterguard.bootstrap import WebPortal
from meterguard.entrypoints.web.routes import router

__all__ = ["attach", "attach_to_hub", "router"]


def attach(app: FastAPI, web_portal: WebPortal) -> None:
    app.state.web_portal = web_portal
    app.include_router(router)


def attach_to_hub(app: FastAPI) -> None:
    """Give ``create_app``'s app the pages (once: a second call changes nothing). The pages build
    their services from ``app.state.hub`` on first use."""
    if any(getattr(route, "path", "") == "/portal" for route in app.routes):
        return
    app.include_router(router)
