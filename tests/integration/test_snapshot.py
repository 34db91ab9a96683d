"""The snapshot from the database: loaded whole or meter point by meter point, the same answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from meterguard.adapters.demo_data import write_demo_folder
from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.bootstrap import import_directory
from meterguard.domain.appointments import Appointment
from meterguard.domain.catalogue import CATALOGUE, Channel
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import DAY, from_datetime
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest, ServiceRequest

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def requests_over(engine: Engine, count: int) -> list[DataRequest | ServiceRequest]:
    everything = load_snapshot(engine)
    rng = random.Random(4)
    at = from_datetime(AS_OF)
    parties = sorted(everything.parties.values(), key=lambda p: p.party_id)
    subjects = sorted(everything.fuels) + sorted(everything.devices)
    requests: list[DataRequest | ServiceRequest] = []
    for i in range(count):
        party = rng.choice(parties)
        role = rng.choice(sorted(party.roles)).value
        if i % 10 == 0:
            action = rng.choice(["join_type2", "update_credentials_cos"])
            requests.append(
                ServiceRequest(str(i), party.party_id, role, action, rng.choice(subjects), at)
            )
            continue
        item = rng.choice(sorted(CATALOGUE))
        start = None if rng.random() < 0.2 else at - rng.randint(1, 900) * DAY
        requests.append(
            DataRequest(
                str(i),
                party.party_id,
                role,
                rng.choice(list(Channel)),
                item,
                rng.choice(subjects),
                start,
                None,
                at,
                rng.choice(["", "energy_advice", "research"]),
            )
        )
    return requests


def test_a_lazy_snapshot_decides_as_a_full_one_and_loads_only_what_it_touches(
    engine: Engine, tmp_path: Path
) -> None:
    write_demo_folder(tmp_path / "demo", meters=150, seed=9, as_of=AS_OF, days=1)
    import_directory(engine, tmp_path / "demo")
    full = load_snapshot(engine)
    lazy = load_snapshot(engine, lazy=True)
    assert lazy.devices == {} and lazy.timelines == {}
    requests = requests_over(engine, 600)
    for request in requests:
        assert decide(request, lazy) == decide(request, full)
    touched = {r.subject for r in requests if r.subject in full.fuels} | {
        full.devices[r.subject].mpxn for r in requests if r.subject in full.devices
    }
    assert lazy.loaded <= touched and len(lazy.loaded) > 0
    lazy.load_all()
    assert lazy.held == full.held and lazy.devices == full.devices


def test_a_change_to_a_meter_point_not_yet_loaded_is_kept(engine: Engine, tmp_path: Path) -> None:
    write_demo_folder(tmp_path / "demo", meters=40, seed=9, as_of=AS_OF, days=1)
    import_directory(engine, tmp_path / "demo")
    lazy = load_snapshot(engine, lazy=True)
    mpxn = next(m for m in sorted(lazy.fuels) if len(m) == 13)
    lazy.set_appointments(mpxn, Role.IS, [Appointment(mpxn, Role.IS, "NEWCO", Period(0))])
    assert lazy.holder_at(mpxn, Role.IS, from_datetime(AS_OF)) == "NEWCO"
    lazy.load_all()  # loading the rest must not bring the stored history back
    assert lazy.holder_at(mpxn, Role.IS, from_datetime(AS_OF)) == "NEWCO"


def test_the_questions_of_a_lazy_snapshot_load_what_they_need(engine: Engine) -> None:
    import_directory(engine, Path(__file__).parents[1] / "fixtures" / "small")
    lazy = load_snapshot(engine, lazy=True)
    at = from_datetime(datetime(2025, 3, 1, tzinfo=UTC))
    assert lazy.holder_at("1012345678903", Role.IS, at) == "BRIT"
    assert lazy.occupancy_of("C-DAVE", "3938424403").contains(at)
    assert lazy.periods_held("BRIT", Role.GS, "3938424403").periods[0].start == from_datetime(
        datetime(2018, 1, 1, tzinfo=UTC)
    )
