"""The web pages: the consumer portal (``/portal``) and the operator pages (``/operator``).

``attach(app, web_portal)`` gives an app the pages: it keeps the ``bootstrap.WebPortal`` in
``app.state.web_portal``, where every page finds its services, and includes ``router``.
"""

from __future__ import annotations

from fastapi import FastAPI

from meterguard.bootstrap import WebPortal
from meterguard.entrypoints.web.routes import router

__all__ = ["attach", "router"]


def attach(app: FastAPI, web_portal: WebPortal) -> None:
    app.state.web_portal = web_portal
    app.include_router(router)
