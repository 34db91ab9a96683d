"""Jinja2 templates packaged with the code, autoescaped, with the filters the pages share."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from meterguard.domain.period import Period
from meterguard.domain.time import BEGINNING, FOREVER


def instant_text(instant: int | None) -> str:
    if instant is None or instant in (BEGINNING, FOREVER):
        return ""
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%d %H:%M UTC")


def day_text(instant: int | None) -> str:
    if instant is None or instant in (BEGINNING, FOREVER):
        return ""
    return datetime.fromtimestamp(instant, UTC).strftime("%d %b %Y")


def period_text(period: Period) -> str:
    start = "the beginning" if period.start == BEGINNING else day_text(period.start)
    if period.end == FOREVER:
        return f"from {start}, open-ended"
    return f"{start} to {day_text(period.end)}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("meterguard.entrypoints.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["instant"] = instant_text
    env.filters["day"] = day_text
    env.filters["period"] = period_text
    return env


def render(template: str, **context: Any) -> Markup:
    return Markup(environment().get_template(template).render(**context))
