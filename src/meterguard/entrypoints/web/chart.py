"""The consumption chart: an SVG drawn on the server, one bar per day, no script."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

from meterguard.domain.time import DAY
from meterguard.services.portal import Consumption

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 28


def _day(instant: int) -> str:
    return datetime.fromtimestamp(instant, UTC).strftime("%d %b")


def consumption_svg(chart: Consumption, title_id: str) -> Markup:
    """Bars of kWh per day over the chart's window; days without readings have no bar."""
    days = int((chart.window.end - chart.window.start) // DAY)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(days, 1)
    top_kwh = max((d.kwh for d in chart.days), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(title_id)}">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" class="label">{top_kwh:.1f}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" class="label">0</text>',
        f'<text x="4" y="{TOP + plot_h / 2}" class="label" transform="rotate(-90 10 {TOP + plot_h / 2})">kWh</text>',
    ]
    for use in chart.days:
        position = (use.day - chart.window.start) // DAY
        height = plot_h * use.kwh / top_kwh
        x = LEFT + position * slot + slot * 0.15
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{height:.1f}">'
            f"<title>{_day(use.day)}: {use.kwh:.2f} kWh ({use.readings} half-hours)</title></rect>"
        )
    for position in range(0, days, 7):
        x = LEFT + position * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" class="label">'
            f"{_day(chart.window.start + position * DAY)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
