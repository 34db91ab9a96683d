"""``meterguard check`` and ``explain``: what would be decided, with no side effect at all.

No audit entry, no rate counting: a check answers "what would be decided", each request as of its
own ``at`` (INTERCHANGE.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from meterguard.domain.time import format_instant
from meterguard.policy.decision import Code, Decision, Outcome
from meterguard.policy.engine import decide
from meterguard.policy.requests import BadRequest, DataRequest, Request, parse_request
from meterguard.policy.snapshot import Snapshot


def decide_line(line: str, facts: Snapshot) -> Decision:
    """One request line in, one decision out; a line that is no request is a BAD_REQUEST."""
    try:
        fields = json.loads(line)
    except json.JSONDecodeError as exc:
        return Decision(
            "",
            Outcome.DENY,
            Code.BAD_REQUEST,
            (),
            (("not JSON: {} at column {}", (exc.msg, exc.colno)),),
        )
    try:
        request = parse_request(fields)
    except BadRequest as exc:
        return Decision(exc.request_id, Outcome.DENY, Code.BAD_REQUEST, (), (("{}", (str(exc),)),))
    return decide(request, facts)


def check_lines(lines: Iterable[str], facts: Snapshot) -> Iterator[str]:
    """Decision lines for request lines, one each, in the same order. Blank lines are skipped."""
    for line in lines:
        if line.strip():
            yield json.dumps(decide_line(line, facts).as_json(), ensure_ascii=False)


def explain(request: Request, facts: Snapshot) -> list[str]:
    """The reasoning chain of one decision, for a compliance officer to follow."""
    decision = decide(request, facts, trace=True)
    lines = [describe_request(request), ""]
    lines += [f"  {n}. {step}" for n, step in enumerate(decision.steps, start=1)]
    lines.append("")
    verdict = f"Decision: {decision.outcome} ({decision.code})"
    if decision.allowed:
        verdict += "; released only for " + ", ".join(str(p) for p in decision.allowed)
    lines.append(verdict)
    return lines


def describe_request(request: Request) -> str:
    who = f"{request.party_id} acting as {request.role}"
    when = f"decided at {format_instant(request.at)}"
    if isinstance(request, DataRequest):
        if request.start is None:
            period = "its current value"
        else:
            period = f"data time {format_instant(request.start)}..{format_instant(request.end) if request.end else ''}"
        purpose = f" for purpose '{request.purpose}'" if request.purpose else ""
        return f"Request {request.request_id or '(no id)'}: {who} asks for {request.item} of {request.subject}, {period}, through {request.channel}{purpose}; {when}"
    return f"Request {request.request_id or '(no id)'}: {who} asks to {request.action} on {request.subject}; {when}"
