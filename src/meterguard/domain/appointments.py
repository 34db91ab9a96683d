"""Appointments: which party held which role at which meter point, and when."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import Role
from meterguard.domain.timeline import Tenure, Timeline


@dataclass(frozen=True, slots=True)
class Appointment:
    mpxn: str
    role: Role
    party_id: str
    period: Period


class AppointmentBook:
    """Every appointment timeline, indexed for the two appointment questions."""

    def __init__(self, appointments: Iterable[Appointment] = ()) -> None:
        grouped: dict[tuple[str, Role], list[Tenure]] = defaultdict(list)
        for appointment in appointments:
            grouped[(appointment.mpxn, appointment.role)].append(
                Tenure(appointment.party_id, appointment.period)
            )
        self._timelines = {key: Timeline(tenures) for key, tenures in grouped.items()}

    def timeline(self, mpxn: str, role: Role) -> Timeline:
        return self._timelines.get((mpxn, role), _NO_TIMELINE)

    def holder_at(self, mpxn: str, role: Role, instant: int) -> str | None:
        """Who held ``role`` at ``mpxn`` at ``instant``."""
        return self.timeline(mpxn, role).holder_at(instant)

    def periods_held(self, party_id: str, role: Role, mpxn: str) -> PeriodSet:
        """The periods in which ``party_id`` held ``role`` at ``mpxn``."""
        return self.timeline(mpxn, role).periods_of(party_id)


_NO_TIMELINE = Timeline()
