"""Every route, tried with another party's meter point, device, consent or delivery, or another
consumer's consent, is refused each time. A route added without a case here fails the first test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from meterguard.bootstrap import api_keys

from .support import E1, G1, SMALL, Api, make_api

E2, BIG = "1200000000011", "1500000000024"
A0, A1 = "00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A1"


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Iterator[Api]:
    """The small registry plus a second Other User with a consent of its own, and matrix cells
    for registration and the manufacturer's inventory, so refusals come from the relationship."""
    folder = tmp_path / "registry"
    shutil.copytree(SMALL, folder)
    with (folder / "parties.csv").open("a") as f:
        f.write("APP2,Other App,OU,other_sec_party,,,,false\n")
    with (folder / "consents.csv").open("a") as f:
        f.write(
            f"Z1,C-BOB,{E1},APP2,energy_advice,CONSUMPTION,2024-10-01,,2024-11-01T10:00:00Z,,,"
            "2024-11-01T10:05:00Z,ihd_guid\n"
        )
    with (folder / "matrix.csv").open("a") as f:
        f.write("1,2019-01-01,registration,IS,API,C\n1,2019-01-01,device_inventory,DM,API,H\n")
        f.write("1,2019-01-01,hh_consumption,MEU,API,H\n")
    for api in make_api(engine, folder=folder):
        api.keys["APP2"] = api_keys(engine, api.clock).issue(party_id="APP2")
        yield api


Case = Callable[[Api], Any]


def refused(response: Any, *statuses: int) -> None:
    assert response.status_code in statuses, response.text


def decision_refused(response: Any) -> None:
    assert response.status_code == 200, response.text
    data = response.json()
    decisions = data.get("decisions", [data])
    assert all(d["decision"] == "deny" for d in decisions), decisions


def hh(mpxn: str, role: str, **extra: str) -> dict[str, str]:
    return {"role": role, "item": "hh_consumption", "subject": mpxn, "from": "2025-02-01", **extra}


CASES: dict[tuple[str, str], list[Case]] = {
    ("POST", "/v1/decisions"): [
        lambda api: decision_refused(api.post("OCTO", "/v1/decisions", hh(E1, "IS"))),  # BRIT's now
        lambda api: decision_refused(
            api.post("APP1", "/v1/decisions", hh(BIG, "OU", purpose="energy_advice"))
        ),
        lambda api: decision_refused(api.post("BIGCO", "/v1/decisions", hh(E1, "MEU"))),
    ],
    ("POST", "/v1/decisions/batch"): [
        lambda api: decision_refused(
            api.post(
                "OCTO",
                "/v1/decisions/batch",
                {
                    "requests": [
                        hh(E1, "IS"),
                        hh(G1, "GS", **{"from": "2018-01-01", "to": "2024-06-01"}),
                    ]
                },
            )
        ),
    ],
    ("GET", "/v1/meter-points/{mpxn}/consumption"): [
        lambda api: refused(
            api.get(
                "OCTO", f"/v1/meter-points/{E1}/consumption", role="IS", **{"from": "2025-02-01"}
            ),
            403,
        ),
        lambda api: refused(
            api.get(
                "APP1",
                f"/v1/meter-points/{E2}/consumption",
                role="OU",
                purpose="energy_advice",
                **{"from": "2025-01-01"},
            ),
            403,
        ),
        lambda api: refused(
            api.get(
                "APP2",
                f"/v1/meter-points/{E1}/consumption",
                role="OU",
                purpose="price_comparison",
                **{"from": "2025-01-01"},
            ),
            403,
        ),
        lambda api: refused(
            api.get(
                "BIGCO", f"/v1/meter-points/{E1}/consumption", role="MEU", **{"from": "2025-01-01"}
            ),
            403,
        ),
    ],
    ("GET", "/v1/meter-points/{mpxn}/reference/{item}"): [
        lambda api: refused(
            api.get("OCTO", f"/v1/meter-points/{E1}/reference/registration", role="IS"), 403
        ),
    ],
    ("GET", "/v1/devices"): [
        lambda api: assert_not_listed(api.get("ACME", "/v1/devices", role="DM"), A1),
    ],
    ("GET", "/v1/devices.csv"): [
        lambda api: assert_not_listed(
            api.client.get("/v1/devices.csv", params={"role": "MAP"}, headers=api.as_("MAPCO")), A1
        ),
    ],
    ("GET", "/v1/devices/{guid}"): [
        lambda api: refused(api.get("MAPCO", f"/v1/devices/{A1}", role="MAP"), 403),
        lambda api: refused(api.get("ACME", f"/v1/devices/{A1}", role="DM"), 403),
    ],
    ("POST", "/v1/service-requests"): [
        lambda api: refused(
            api.post(
                "OCTO",
                "/v1/service-requests",
                {"role": "IS", "action": "update_credentials_cos", "subject": A0},
            ),
            403,
        ),
        lambda api: refused(
            api.post(
                "APP2",
                "/v1/service-requests",
                {"role": "OU", "action": "join_type2", "subject": E1},
            ),
            403,
        ),
    ],
    ("GET", "/v1/mailbox"): [
        lambda api: assert_empty(api.get("OCTO", "/v1/mailbox"), "items"),
    ],
    ("POST", "/v1/mailbox/acknowledge"): [
        lambda api: assert_acknowledged_none(
            api.post("OCTO", "/v1/mailbox/acknowledge", {"delivery_ids": [1, 2, 3]})
        ),
    ],
    ("GET", "/v1/reports/credentials-gap"): [
        lambda api: assert_empty(api.get("UKPN", "/v1/reports/credentials-gap"), "rows"),
    ],
    ("GET", "/v1/consents"): [
        lambda api: assert_not_listed(api.get("APP1", "/v1/consents"), "Z1"),
        lambda api: assert_not_listed(api.get("APP1", "/v1/consents", mpxn=E1), "Z1"),
    ],
    ("GET", "/v1/consents/{consent_id}"): [
        lambda api: refused(api.get("APP1", "/v1/consents/Z1"), 404),
        lambda api: refused(api.get("APP2", "/v1/consents/K1"), 404),
    ],
    ("POST", "/v1/consents"): [
        lambda api: refused(api.post("APP1", "/v1/consents", {**GRANT, "party_id": "APP2"}), 403),
        lambda api: refused(
            api.post("APP1", "/v1/consents", {**GRANT, "consumer_id": "C-CAROL"}), 422
        ),
    ],
    ("POST", "/v1/consents/{consent_id}/withdraw"): [
        lambda api: refused(api.post("APP1", "/v1/consents/Z1/withdraw", {}), 404),
        lambda api: refused(api.post("BRIT", "/v1/consents/K1/withdraw", {}), 403),
    ],
    ("GET", "/v1/audit/verify"): [lambda api: refused(api.get("BRIT", "/v1/audit/verify"), 403)],
    ("GET", "/v1/audit/entries"): [
        lambda api: refused(api.get("APP1", "/v1/audit/entries", mpxn=E1), 403)
    ],
    ("POST", "/v1/keys"): [
        lambda api: refused(api.post("APP1", "/v1/keys", {"party_id": "APP2"}), 403)
    ],
    ("GET", "/v1/keys"): [lambda api: refused(api.get("APP1", "/v1/keys"), 403)],
    ("POST", "/v1/keys/{prefix}/revoke"): [
        lambda api: refused(api.post("APP1", f"/v1/keys/{api.keys['APP2'][:11]}/revoke", {}), 403)
    ],
    ("GET", "/v1/quarantine"): [lambda api: refused(api.get("BRIT", "/v1/quarantine"), 403)],
    **{
        (method, path): [
            lambda api, method=method, path=path: refused(
                api.client.request(
                    method,
                    path.replace("{change_id}", "1"),
                    params={"before": 1, "after": 1},
                    json={},
                    headers=api.as_("BRIT"),
                ),
                403,
            )
        ]
        for method, path in (
            ("GET", "/v1/matrix/versions"),
            ("GET", "/v1/matrix/diff"),
            ("GET", "/v1/matrix/changes"),
            ("POST", "/v1/matrix/changes"),
            ("GET", "/v1/matrix/changes/{change_id}"),
            ("GET", "/v1/matrix/changes/{change_id}/impact"),
            ("POST", "/v1/matrix/changes/{change_id}/screening"),
            ("POST", "/v1/matrix/changes/{change_id}/submit"),
            ("POST", "/v1/matrix/changes/{change_id}/approve"),
            ("POST", "/v1/matrix/changes/{change_id}/reject"),
        )
    },
}

GRANT = {
    "consumer_id": "C-BOB",
    "mpxn": E1,
    "purpose": "tariff_advice",
    "data_groups": ["CONSUMPTION"],
    "data_from": "2024-10-01",
    "verification": "ihd_guid",
}


def assert_not_listed(response: Any, what: str) -> None:
    assert response.status_code == 200, response.text
    assert what not in response.text


def assert_empty(response: Any, field: str) -> None:
    assert response.status_code == 200, response.text
    assert response.json()[field] == []


def assert_acknowledged_none(response: Any) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == {"acknowledged": 0}


def test_every_authenticated_route_has_a_cross_party_case(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/v1")
        for method in operations
    }
    assert routes == set(CASES)


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_another_party_s_things_are_refused(api: Api, route: tuple[str, str]) -> None:
    for case in CASES[route]:
        case(api)


def test_the_other_user_s_own_consent_still_works_so_the_refusals_are_not_blanket(api: Api) -> None:
    response = api.get(
        "APP2",
        f"/v1/meter-points/{E1}/consumption",
        role="OU",
        purpose="energy_advice",
        **{"from": "2025-01-01"},
    )
    assert response.status_code == 200 and response.json()["readings"]
    assert api.get("APP2", "/v1/consents/Z1").status_code == 200
