"""The consumer portal and the operator pages: server-rendered HTML, plain forms, no script.

Every page is built from ``request.app.state.web_portal`` (a ``bootstrap.WebPortal``). Sessions
live in HttpOnly, SameSite=Lax cookies, Secure unless ``MG_INSECURE_COOKIES=1``; every POST
carries the session's CSRF token (sign-in forms: the token of a pre-session cookie) and is
refused without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from meterguard import bootstrap
from meterguard.bootstrap import WebPortal
from meterguard.domain.time import BadInstant, parse_instant
from meterguard.entrypoints.web.chart import consumption_svg
from meterguard.entrypoints.web.render import render
from meterguard.services.consents import ConsentRefused
from meterguard.services.matrix_changes import ChangeNotFound, ChangeRefused, MatrixChanges
from meterguard.services.matrix_grid import matrix_grid
from meterguard.services.portal import NotYourConsent
from meterguard.services.web_sessions import (
    SESSION_LIFETIME,
    Session,
    SessionKind,
    csrf_ok,
    csrf_token,
    new_secret,
)

router = APIRouter(include_in_schema=False)

PORTAL_COOKIE = "mg_portal"
OPERATOR_COOKIE = "mg_operator"
FORM_COOKIE = "mg_form"  # a pre-session secret: the CSRF token of the sign-in forms
_COOKIE_PATH = {PORTAL_COOKIE: "/portal", OPERATOR_COOKIE: "/operator", FORM_COOKIE: "/"}

PORTAL_NAV = (
    ("/portal", "Meter points and consumption"),
    ("/portal/consents", "Consents"),
    ("/portal/access-log", "Who saw my data"),
)
OPERATOR_NAV = (
    ("/operator", "Audit chain"),
    ("/operator/matrix", "Permissions matrix"),
    ("/operator/matrix/changes", "Matrix changes"),
    ("/operator/credentials-gap", "Credentials gap"),
    ("/operator/quarantine", "Quarantine"),
)

QUARANTINE_PAGE = 500

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _web(request: Request) -> WebPortal:
    """The pages' services; built from the API's ``app.state.hub`` on first use when the app
    included ``router`` without ``attach``."""
    state = request.app.state
    portal: WebPortal | None = getattr(state, "web_portal", None)
    if portal is None:
        hub = state.hub
        portal = state.web_portal = bootstrap.web_portal(
            hub.engine,
            hub.facts,
            clock=hub.clock,
            authenticate_operator=bootstrap.operator_authenticator(hub.keys),
        )
    return portal


def _page(html: Markup, status: int = 200) -> HTMLResponse:
    return HTMLResponse(str(html), status_code=status, headers=_HEADERS)


def _set_cookie(
    response: Response, web: WebPortal, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=_COOKIE_PATH[name],
        secure=web.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def _message(
    status: int, heading: str, text: str, link: tuple[str, str] | None = None
) -> HTMLResponse:
    return _page(render("message.html", heading=heading, text=text, link=link), status)


def _refused_form() -> HTMLResponse:
    return _message(
        403,
        "This form has expired",
        "The form did not carry this session's security token, so nothing was done. "
        "Go back, reload the page and try again.",
    )


def _session(request: Request, kind: SessionKind) -> tuple[Session, str] | None:
    cookie = PORTAL_COOKIE if kind is SessionKind.CONSUMER else OPERATOR_COOKIE
    secret = request.cookies.get(cookie)
    session = _web(request).sessions.find(secret, kind)
    return None if session is None or secret is None else (session, secret)


# Every POST handler is a plain function with its form fields declared: FastAPI parses the form,
# then runs the handler in its thread pool, so database work never blocks the event loop.
Field = Annotated[str, Form(max_length=200)]


def _form_secret(request: Request) -> tuple[str, bool]:
    """The pre-session secret, and whether it is new (and so must be set as a cookie)."""
    secret = request.cookies.get(FORM_COOKIE)
    return (secret, False) if secret else (new_secret(), True)


def _sign_in_page(
    request: Request, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    secret, fresh = _form_secret(request)
    response = _page(render(template, csrf=csrf_token(secret), **context), status)
    if fresh:
        _set_cookie(response, _web(request), FORM_COOKIE, secret, None)
    return response


@dataclass(frozen=True, slots=True)
class _Area:
    """The portal or the operator pages: where they live and how a page names who is in."""

    name: str
    nav: tuple[tuple[str, str], ...]
    who: str  # the signed-in subject, as the page header names them

    @property
    def home(self) -> str:
        return f"/{self.name}"


_AREAS = {
    SessionKind.CONSUMER: _Area("portal", PORTAL_NAV, "{}"),
    SessionKind.OPERATOR: _Area("operator", OPERATOR_NAV, "operator {}"),
}


def _chrome(kind: SessionKind, session: Session, secret: str, current: str) -> dict[str, Any]:
    """What every signed-in page's frame shows: the area's navigation, sign-out form, who."""
    area = _AREAS[kind]
    return {
        "area": area.name,
        "home": area.home,
        "nav": area.nav,
        "current": current,
        "sign_out": f"{area.home}/sign-out",
        "csrf": csrf_token(secret),
        "who": area.who.format(session.subject),
    }


PageValues = Callable[[WebPortal, Session], dict[str, Any]]


def _signed_in_page(
    request: Request, kind: SessionKind, current: str, template: str, values: PageValues
) -> Response:
    """``template`` with ``values(web, session)`` in the area's frame for the signed-in consumer
    or operator; without a session, to the area's sign-in page (nothing is read for it)."""
    found = _session(request, kind)
    if found is None:
        return _to(f"{_AREAS[kind].home}/sign-in")
    session, secret = found
    return _page(
        render(
            template, **values(_web(request), session), **_chrome(kind, session, secret, current)
        )
    )


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


@cache
def _stylesheet() -> str:
    return files("meterguard.entrypoints.web").joinpath("static/style.css").read_text()


@router.get("/web/style.css")
def stylesheet() -> Response:
    return Response(_stylesheet(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


# ---- the consumer portal ------------------------------------------------------------------


@router.get("/portal/sign-in")
def portal_sign_in_page(request: Request) -> HTMLResponse:
    return _sign_in_page(request, "portal_sign_in.html", area="portal")


@router.post("/portal/sign-in")
def portal_sign_in(
    request: Request, csrf_token: Field = "", consumer_id: Field = "", code: Field = ""
) -> Response:
    web = _web(request)
    if not csrf_ok(request.cookies.get(FORM_COOKIE), csrf_token):
        return _refused_form()
    consumer_id = consumer_id.strip()
    if not consumer_id or not web.sign_in.redeem(consumer_id, code):
        return _sign_in_page(
            request,
            "portal_sign_in.html",
            400,
            area="portal",
            consumer_id=consumer_id,
            error="That code is not right, has expired, or was used already. "
            "Check it, or ask for a new one.",
        )
    response = _to("/portal")
    secret = web.sessions.open(SessionKind.CONSUMER, consumer_id)
    _set_cookie(response, web, PORTAL_COOKIE, secret, SESSION_LIFETIME)
    return response


@router.post("/portal/code")
def portal_request_code(
    request: Request, csrf_token: Field = "", consumer_id: Field = ""
) -> Response:
    if not csrf_ok(request.cookies.get(FORM_COOKIE), csrf_token):
        return _refused_form()
    consumer_id = consumer_id.strip()
    if consumer_id:
        _web(request).sign_in.send(consumer_id)  # the same answer for unknown consumers
    return _sign_in_page(request, "portal_sign_in.html", area="portal", sent=consumer_id)


@router.post("/portal/sign-out")
def portal_sign_out(request: Request, csrf_token: Field = "") -> Response:
    return _sign_out(request, csrf_token, SessionKind.CONSUMER, PORTAL_COOKIE, "/portal/sign-in")


@router.get("/portal")
def portal_home(request: Request) -> Response:
    def values(web: WebPortal, session: Session) -> dict[str, Any]:
        charts = web.portal.consumption(session.subject)
        return {
            "meter_points": web.portal.meter_points(session.subject),
            "charts": [
                (chart, consumption_svg(chart, f"chart-{n}"), f"chart-{n}")
                for n, chart in enumerate(charts, start=1)
            ],
        }

    return _signed_in_page(request, SessionKind.CONSUMER, "/portal", "portal_home.html", values)


@router.get("/portal/consents")
def portal_consents(request: Request, withdrawn: str | None = None) -> Response:
    def values(web: WebPortal, session: Session) -> dict[str, Any]:
        views = web.portal.consents(session.subject)
        done = next(
            (v for v in views if v.consent.consent_id == withdrawn and v.consent.withdrawn_at),
            None,
        )
        return {"consents": views, "withdrawn": done}

    return _signed_in_page(
        request, SessionKind.CONSUMER, "/portal/consents", "portal_consents.html", values
    )


@router.post("/portal/consents/{consent_id}/withdraw")
def portal_withdraw(request: Request, consent_id: str, csrf_token: Field = "") -> Response:
    found = _session(request, SessionKind.CONSUMER)
    if found is None:
        return _message(
            403,
            "Please sign in",
            "Sign in to change your consents.",
            ("/portal/sign-in", "Sign in"),
        )
    session, secret = found
    if not csrf_ok(secret, csrf_token):
        return _refused_form()
    try:
        _web(request).portal.withdraw(session.subject, consent_id)
    except NotYourConsent:
        return _message(
            404,
            "No such consent",
            "You have no consent with that reference.",
            ("/portal/consents", "Your consents"),
        )
    except ConsentRefused as exc:
        return _message(409, "Not withdrawn", str(exc), ("/portal/consents", "Your consents"))
    return _to(f"/portal/consents?withdrawn={quote(consent_id, safe='')}")


@router.get("/portal/access-log")
def portal_access_log(request: Request) -> Response:
    def values(web: WebPortal, session: Session) -> dict[str, Any]:
        return {
            "lines": web.access_log.lines(session.subject),
            "history": web.portal.consent_history(session.subject),
            "names": web.portal.store.party_names(),
            "consumer_id": session.subject,
        }

    return _signed_in_page(
        request, SessionKind.CONSUMER, "/portal/access-log", "portal_access_log.html", values
    )


# ---- the operator pages -------------------------------------------------------------------


@router.get("/operator/sign-in")
def operator_sign_in_page(request: Request) -> HTMLResponse:
    enabled = _web(request).authenticate_operator is not None
    return _sign_in_page(
        request, "operator_sign_in.html", area="operator", home="/operator", enabled=enabled
    )


@router.post("/operator/sign-in")
def operator_sign_in(request: Request, csrf_token: Field = "", api_key: Field = "") -> Response:
    web = _web(request)
    if not csrf_ok(request.cookies.get(FORM_COOKIE), csrf_token):
        return _refused_form()
    key = api_key.strip()
    operator = web.authenticate_operator(key) if web.authenticate_operator and key else None
    if operator is None:
        return _sign_in_page(
            request,
            "operator_sign_in.html",
            400,
            area="operator",
            home="/operator",
            enabled=web.authenticate_operator is not None,
            error="That key is not an operator's key.",
        )
    response = _to("/operator")
    secret = web.sessions.open(SessionKind.OPERATOR, operator)
    _set_cookie(response, web, OPERATOR_COOKIE, secret, SESSION_LIFETIME)
    return response


@router.post("/operator/sign-out")
def operator_sign_out(request: Request, csrf_token: Field = "") -> Response:
    return _sign_out(
        request, csrf_token, SessionKind.OPERATOR, OPERATOR_COOKIE, "/operator/sign-in"
    )


@router.get("/operator")
def operator_home(request: Request) -> Response:
    def values(web: WebPortal, session: Session) -> dict[str, Any]:
        return {
            "report": web.audit.verify(),
            "head": web.audit.head(),
            "recent": web.audit.entries(limit=20, newest_first=True),
            "now": web.clock(),
        }

    return _signed_in_page(request, SessionKind.OPERATOR, "/operator", "operator_home.html", values)


@router.get("/operator/matrix")
def operator_matrix(request: Request, version: int | None = None) -> Response:
    found = _session(request, SessionKind.OPERATOR)
    if found is None:
        return _to("/operator/sign-in")
    session, secret = found
    grid = matrix_grid(_web(request).matrix_versions(), version)
    return _page(
        render(
            "operator_matrix.html",
            grid=grid,
            asked=version,
            abbreviations={"API": "API", "BULK": "BLK", "PORTAL": "PTL"},
            **_chrome(SessionKind.OPERATOR, session, secret, "/operator/matrix"),
        ),
        200 if grid is not None else 404,
    )


def _matrix_changes(web: WebPortal) -> MatrixChanges:
    return bootstrap.matrix_changes(web.engine, web.clock)


@router.get("/operator/matrix/changes")
def operator_matrix_changes(request: Request, done: int | None = None) -> Response:
    def values(web: WebPortal, session: Session) -> dict[str, Any]:
        service = _matrix_changes(web)
        rows = []
        for change in reversed(service.changes()):  # newest first
            try:
                impact: dict[str, Any] | None = service.impact(change.change_id).as_json()
            except ChangeRefused:
                impact = None
            rows.append((change, impact, service.screening(change.change_id)))
        return {"rows": rows, "done": done, "now": web.clock()}

    return _signed_in_page(
        request,
        SessionKind.OPERATOR,
        "/operator/matrix/changes",
        "operator_matrix_changes.html",
        values,
    )


@router.post("/operator/matrix/changes/{change_id}/approve")
def operator_approve_change(
    request: Request, change_id: int, csrf_token: Field = "", effective_from: Field = ""
) -> Response:
    def approve(service: MatrixChanges, operator: str) -> None:
        try:
            start = parse_instant(effective_from.strip())
        except BadInstant as exc:
            raise ChangeRefused(f"effective from: {exc}") from None
        service.approve(change_id, operator, start)

    return _decide_change(request, change_id, csrf_token, approve)


@router.post("/operator/matrix/changes/{change_id}/reject")
def operator_reject_change(
    request: Request, change_id: int, csrf_token: Field = "", reason: Field = ""
) -> Response:
    return _decide_change(
        request, change_id, csrf_token, lambda s, operator: s.reject(change_id, operator, reason)
    )


def _decide_change(
    request: Request,
    change_id: int,
    csrf_token: str,
    act: Callable[[MatrixChanges, str], object],
) -> Response:
    """An operator's decision on a change request, from a form of the matrix changes page."""
    found = _session(request, SessionKind.OPERATOR)
    if found is None:
        return _message(
            403, "Please sign in", "Sign in to decide on matrix changes.",
            ("/operator/sign-in", "Sign in"),
        )  # fmt: skip
    session, secret = found
    if not csrf_ok(secret, csrf_token):
        return _refused_form()
    back = ("/operator/matrix/changes", "Matrix changes")
    try:
        act(_matrix_changes(_web(request)), session.subject)
    except ChangeNotFound as exc:
        return _message(404, "No such change", str(exc), back)
    except ChangeRefused as exc:
        return _message(409, "Not done", str(exc), back)
    return _to(f"/operator/matrix/changes?done={change_id}")


@router.get("/operator/credentials-gap")
def operator_credentials_gap(request: Request) -> Response:
    def values(web: WebPortal, session: Session) -> dict[str, Any]:
        return {"gaps": web.credentials_gaps(), "now": web.clock()}

    return _signed_in_page(
        request, SessionKind.OPERATOR, "/operator/credentials-gap", "operator_gaps.html", values
    )


@router.get("/operator/quarantine")
def operator_quarantine(request: Request, mpxn: str | None = None) -> Response:
    wanted = (mpxn or "").strip()[:64] or None

    def values(web: WebPortal, session: Session) -> dict[str, Any]:
        return {
            "messages": web.quarantine.list(mpxn=wanted, limit=QUARANTINE_PAGE),
            "mpxn": wanted,
            "limit": QUARANTINE_PAGE,
        }

    return _signed_in_page(
        request, SessionKind.OPERATOR, "/operator/quarantine", "operator_quarantine.html", values
    )


def _sign_out(
    request: Request, csrf_token: str, kind: SessionKind, cookie: str, then: str
) -> Response:
    found = _session(request, kind)
    if found is None:
        return _to(then)
    _, secret = found
    if not csrf_ok(secret, csrf_token):
        return _refused_form()
    web = _web(request)
    web.sessions.end(secret)
    response = _to(then)
    response.delete_cookie(
        cookie, path=_COOKIE_PATH[cookie], secure=web.secure_cookies, httponly=True, samesite="lax"
    )
    return response
