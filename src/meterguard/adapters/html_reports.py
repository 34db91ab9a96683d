"""Printable HTML documents: the compliance report and a consumer's subject access page.

Jinja2 templates in ``templates/``, autoescaped, self-contained (inline CSS, no external asset),
with print rules (``@media print``, page breaks) so a browser's "print to PDF" gives the pages an
auditor takes away.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from meterguard.domain.assessments import Rule
from meterguard.domain.dpia import QUESTIONS
from meterguard.domain.time import format_instant
from meterguard.services.compliance_report import ComplianceReport

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["instant"] = lambda value: format_instant(value) if value is not None else ""
    env.globals["QUESTIONS"] = QUESTIONS
    env.globals["RULES"] = list(Rule)
    env.filters["day"] = lambda value: format_instant(value)[:10] if value is not None else ""
    return env


def render_compliance_report(report: ComplianceReport) -> str:
    return _environment().get_template("compliance_report.html.j2").render(r=report)


def render_subject_access(bundle: dict[str, Any]) -> str:
    """The page shows each meter point's readings as daily totals; the JSON has every one."""
    daily: dict[str, list[tuple[str, int, float]]] = {}
    for meter in bundle["meter_points"]:
        days: dict[str, tuple[int, float]] = {}
        for reading in meter["readings"]:
            count, total = days.get(reading["ts"][:10], (0, 0.0))
            days[reading["ts"][:10]] = (count + 1, total + reading["kwh"])
        daily[meter["mpxn"]] = [(day, n, kwh) for day, (n, kwh) in sorted(days.items())]
    template = _environment().get_template("subject_access.html.j2")
    return template.render(b=bundle, daily=daily)
