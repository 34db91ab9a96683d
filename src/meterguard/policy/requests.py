"""Requests the engine decides: data requests (ACCESS-RULES 7) and service requests (section 8)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from meterguard.domain.catalogue import Channel
from meterguard.domain.time import BadInstant, Instant, parse_instant


class Action(StrEnum):
    JOIN_TYPE2 = "join_type2"
    UNJOIN_TYPE2 = "unjoin_type2"
    UPDATE_CREDENTIALS_COS = "update_credentials_cos"


@dataclass(frozen=True, slots=True)
class DataRequest:
    request_id: str
    party_id: str
    role: str  # as asked: an unknown code is answered ROLE_NOT_HELD, not BAD_REQUEST
    channel: Channel
    item: str
    subject: str
    start: Instant | None  # "from"; None asks for the current value of a reference item
    end: Instant | None  # "to"; None is open-ended (then clipped to ``at``)
    at: Instant
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    request_id: str
    party_id: str
    role: str
    action: str  # as asked: an unknown action is answered UNKNOWN_ITEM
    subject: str
    at: Instant


Request = DataRequest | ServiceRequest


class BadRequest(ValueError):
    """A line that is not a request at all (INTERCHANGE: answered with code BAD_REQUEST)."""

    def __init__(self, reason: str, request_id: str = "") -> None:
        super().__init__(reason)
        self.request_id = request_id


def _text(fields: dict[str, Any], name: str, request_id: str, required: bool = True) -> str:
    value = fields.get(name, "")
    if value is None or not isinstance(value, str):
        raise BadRequest(f"{name} must be a string", request_id)
    if required and not value:
        raise BadRequest(f"{name} is required", request_id)
    return value


def _instant(fields: dict[str, Any], name: str, request_id: str, required: bool) -> Instant | None:
    text = _text(fields, name, request_id, required)
    if not text:
        return None
    try:
        return parse_instant(text)
    except BadInstant as exc:
        raise BadRequest(f"{name}: {exc}", request_id) from None


def parse_request(fields: object) -> Request:
    """A request from one decoded JSON object, as INTERCHANGE.md writes it."""
    if not isinstance(fields, dict):
        raise BadRequest("a request must be a JSON object")
    raw_id = fields.get("request_id", "")
    request_id = raw_id if isinstance(raw_id, str) else ""
    _text(fields, "request_id", request_id)
    party_id = _text(fields, "party_id", request_id)
    role = _text(fields, "role", request_id)
    subject = _text(fields, "subject", request_id)
    at = _instant(fields, "at", request_id, required=True)
    assert at is not None
    has_item, has_action = "item" in fields, "action" in fields
    if has_item == has_action:
        raise BadRequest(
            "a request carries either item (data) or action (service), not both or neither",
            request_id,
        )
    if has_action:
        return ServiceRequest(
            request_id, party_id, role, _text(fields, "action", request_id), subject, at
        )
    channel_text = _text(fields, "channel", request_id)
    try:
        channel = Channel(channel_text)
    except ValueError:
        raise BadRequest(
            f"channel {channel_text!r} is not API, BULK or PORTAL", request_id
        ) from None
    return DataRequest(
        request_id,
        party_id,
        role,
        channel,
        _text(fields, "item", request_id),
        subject,
        _instant(fields, "from", request_id, required=False),
        _instant(fields, "to", request_id, required=False),
        at,
        _text(fields, "purpose", request_id, required=False),
    )
