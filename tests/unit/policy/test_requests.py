from __future__ import annotations

import pytest

from meterguard.domain.catalogue import Channel
from meterguard.domain.time import parse_instant
from meterguard.policy.requests import BadRequest, DataRequest, ServiceRequest, parse_request

LINE = {
    "request_id": "r1",
    "party_id": "OCTO",
    "role": "IS",
    "channel": "API",
    "item": "hh_consumption",
    "subject": "1012345678903",
    "from": "2025-01-01T00:00:00Z",
    "to": "",
    "at": "2025-03-01T12:00:00Z",
    "purpose": "",
}


def test_a_data_request_line_parses_with_an_open_end() -> None:
    request = parse_request(LINE)
    assert request == DataRequest(
        "r1",
        "OCTO",
        "IS",
        Channel.API,
        "hh_consumption",
        "1012345678903",
        parse_instant("2025-01-01"),
        None,
        parse_instant("2025-03-01T12:00:00Z"),
        "",
    )


def test_a_service_request_carries_an_action_instead_of_an_item() -> None:
    fields = {k: v for k, v in LINE.items() if k not in ("item", "channel", "from", "to")} | {
        "action": "join_type2"
    }
    assert isinstance(parse_request(fields), ServiceRequest)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"at": ""}, "at is required"),
        ({"at": "yesterday"}, "at:"),
        ({"from": "2025-01-01"} | {"to": "01/02/2025"}, "to:"),
        ({"channel": "EMAIL"}, "channel 'EMAIL'"),
        ({"party_id": 7}, "party_id must be a string"),
        ({"action": "join_type2"}, "either item"),
        ({"to": None}, "to must be a string"),
    ],
)
def test_lines_that_are_no_request_are_bad_requests_that_keep_their_id(
    change: dict[str, object], reason: str
) -> None:
    with pytest.raises(BadRequest, match=reason) as caught:
        parse_request(LINE | change)
    assert caught.value.request_id == "r1"


def test_a_json_array_is_no_request() -> None:
    with pytest.raises(BadRequest):
        parse_request(["r1"])
