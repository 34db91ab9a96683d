"""The consent lifecycle on SQLite and PostgreSQL: every change stored with who and when, and
seen by the very next decision."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from meterguard.adapters.storage.consent_store import SqlConsentStore
from meterguard.adapters.storage.snapshot_loader import load_snapshot
from meterguard.bootstrap import import_directory
from meterguard.domain.catalogue import Channel, Group
from meterguard.domain.time import format_instant
from meterguard.domain.time import parse_instant as t
from meterguard.policy.decision import Code
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest
from meterguard.services.consents import ConsentRefused, ConsentService

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
E1 = "1012345678903"  # BOB has occupied it since 2024-10-01


class Clock:
    def __init__(self, now: str) -> None:
        self.now = t(now)

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def hub(engine: Engine) -> tuple[ConsentService, Clock]:
    import_directory(engine, SMALL)
    clock = Clock("2025-03-01T09:00:00Z")
    return ConsentService(SqlConsentStore(engine), load_snapshot(engine), clock), clock


def ask(service: ConsentService, at: int, purpose: str = "research") -> Code:
    request = DataRequest(
        "r", "APP1", "OU", Channel.API, "hh_consumption", E1, t("2024-06-01"), None, at, purpose
    )
    return decide(request, service.facts).code


def grant(service: ConsentService, **overrides: object) -> str:
    fields: dict[str, object] = {
        "consumer_id": "C-BOB",
        "mpxn": E1,
        "party_id": "APP1",
        "purpose": "research",
        "data_groups": {Group.CONSUMPTION},
        "data_from": t("2024-01-01"),
        "data_to": None,
        "expires_at": t("2026-03-01"),
        "verification": "ihd_guid",
        "actor": "APP1",
    }
    return service.grant(**(fields | overrides)).consent_id  # type: ignore[arg-type]


def notified(service: ConsentService) -> str:
    """A consent granted and its written notice recorded: active from now."""
    consent_id = grant(service)
    service.record_notice(
        consent_id,
        time_periods="daily",
        purpose="research",
        right_to_withdraw="portal",
        actor="APP1",
    )
    return consent_id


def test_a_consent_grants_nothing_until_its_written_notice_and_everything_after(
    hub: tuple[ConsentService, Clock],
) -> None:
    service, clock = hub
    consent_id = grant(service)
    assert ask(service, clock.now) is Code.CONSENT_NOT_ACTIVE
    clock.now += 60
    service.record_notice(
        consent_id,
        time_periods="half-hourly data from 2024-01-01",
        purpose="research",
        right_to_withdraw="reply STOP or use the portal",
        actor="APP1",
    )
    assert ask(service, clock.now) is Code.PARTIAL  # clipped to BOB's occupancy from 2024-10-01
    events = [(e.event, e.actor, e.at) for e in service.history(consent_id)]
    assert events == [
        ("granted", "APP1", t("2025-03-01T09:00:00Z")),
        ("notice_sent", "APP1", t("2025-03-01T09:01:00Z")),
    ]


def test_a_withdrawal_is_seen_by_the_very_next_decision(hub: tuple[ConsentService, Clock]) -> None:
    service, clock = hub
    consent_id = notified(service)
    assert ask(service, clock.now) is Code.PARTIAL
    clock.now += 1
    service.withdraw(consent_id, actor="consumer:C-BOB", reason="changed my mind")
    assert ask(service, clock.now) is Code.CONSENT_NOT_ACTIVE
    assert (
        ask(service, clock.now - 1) is Code.PARTIAL
    )  # a decision about an earlier instant is unchanged
    history = service.history(consent_id)
    assert history[-1].event == "withdrawn" and history[-1].actor == "consumer:C-BOB"
    assert history[-1].detail == {"reason": "changed my mind"}


def test_changes_survive_a_restart(hub: tuple[ConsentService, Clock], engine: Engine) -> None:
    service, _ = hub
    consent_id = notified(service)
    reloaded = load_snapshot(engine)
    assert reloaded.consents[consent_id] == service.facts.consents[consent_id]


def test_a_move_out_ends_the_occupancy_and_the_consents_given_there(
    hub: tuple[ConsentService, Clock], engine: Engine
) -> None:
    service, clock = hub
    consent_id = notified(service)
    clock.now += 3600
    ended = service.move_out(E1, "C-BOB", actor="supplier:BRIT")
    assert consent_id in ended and "K1" in ended
    assert ask(service, clock.now) is Code.CONSENT_NOT_ACTIVE
    assert service.history(consent_id)[-1].event == "ended_by_move_out"
    assert load_snapshot(engine).occupancy_of("C-BOB", E1).periods[-1].end == clock.now


def test_expired_consents_get_an_event(hub: tuple[ConsentService, Clock]) -> None:
    service, clock = hub
    consent_id = grant(service, expires_at=t("2025-03-02"))
    clock.now = t("2025-03-03")
    assert consent_id in service.expire_due()
    assert service.history(consent_id)[-1].event == "expired"
    assert consent_id not in service.expire_due()  # recorded once


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"consumer_id": "C-ALICE"}, "does not occupy"),
        ({"party_id": "OCTO"}, "not an Other User"),
        ({"mpxn": "1900000000040"}, "does not occupy"),
        ({"mpxn": "1400000000099"}, "no meter point"),
        ({"data_groups": {Group.PRIORITY_SERVICES}}, "never released"),
        ({"data_groups": set()}, "at least one"),
        ({"verification": " "}, "verified"),
        ({"purpose": "Energy Advice"}, "lower-case"),
        ({"data_to": t("2023-01-01")}, "data window"),
        ({"expires_at": t("2025-01-01")}, "expire before"),
    ],
)
def test_a_consent_that_cannot_mean_anything_is_refused(
    hub: tuple[ConsentService, Clock], overrides: dict[str, object], reason: str
) -> None:
    service, _ = hub
    with pytest.raises(ConsentRefused, match=reason):
        grant(service, **overrides)


def test_a_notice_must_state_the_consents_purpose(hub: tuple[ConsentService, Clock]) -> None:
    service, _ = hub
    consent_id = grant(service)
    with pytest.raises(ConsentRefused, match="purpose"):
        service.record_notice(
            consent_id,
            time_periods="daily",
            purpose="marketing",
            right_to_withdraw="portal",
            actor="APP1",
        )


def test_a_move_out_at_the_move_in_instant_is_refused(hub: tuple[ConsentService, Clock]) -> None:
    service, _ = hub
    with pytest.raises(ConsentRefused, match="instant it began"):
        service.move_out(E1, "C-BOB", actor="x", at=t("2024-10-01"))


def test_an_import_can_neither_undo_a_withdrawal_nor_change_a_consent_unrecorded(
    hub: tuple[ConsentService, Clock], engine: Engine, tmp_path: Path
) -> None:
    import shutil

    from meterguard.services.importing.problems import ImportRejected

    service, _ = hub
    service.withdraw("K1", actor="consumer:C-BOB")
    with pytest.raises(ImportRejected) as rejected:
        import_directory(engine, SMALL)  # K1 without withdrawn_at
    assert str(rejected.value.problems[0]).startswith(
        "consents.csv:2: withdrawn_at: consent K1 was withdrawn at"
    )
    folder = Path(shutil.copytree(SMALL, tmp_path / "folder"))
    lines = (folder / "consents.csv").read_text().splitlines()
    lines[2] = lines[2].replace("bill_reference", "card_check")  # K2's verification corrected
    (folder / "consents.csv").write_text("\n".join([lines[0], lines[2]]) + "\n")
    for name in ("readings.csv", "matrix.csv"):
        (folder / name).unlink()
    import_directory(engine, folder)
    assert service.store.events("K2")[-1].event == "changed_by_import"


def test_an_import_cannot_reopen_an_occupancy_ended_by_a_move_out(
    hub: tuple[ConsentService, Clock], engine: Engine, tmp_path: Path
) -> None:
    import shutil

    from meterguard.services.importing.problems import ImportRejected

    service, clock = hub
    consent_id = notified(service)
    clock.now += 3600
    service.move_out(E1, "C-BOB", actor="supplier:BRIT")
    folder = Path(shutil.copytree(SMALL, tmp_path / "folder"))
    for name in ("readings.csv", "consents.csv"):
        (folder / name).unlink()
    with pytest.raises(ImportRejected) as rejected:
        import_directory(engine, folder)  # still says C-BOB occupies E1 open-ended
    assert str(rejected.value.problems[0]).startswith(
        "occupancies.csv:3: valid_to: C-BOB moved out of 1012345678903 at"
    )
    lines = (folder / "occupancies.csv").read_text().splitlines()
    lines[2] = f"{E1},C-BOB,2024-10-01,{format_instant(clock.now)}"
    (folder / "occupancies.csv").write_text("\n".join(lines) + "\n")
    import_directory(engine, folder)  # the feed now agrees with the hub
    assert ask(service, clock.now) is Code.CONSENT_NOT_ACTIVE
    assert consent_id in service.facts.consents
