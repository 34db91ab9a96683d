"""Service requests on devices (ACCESS-RULES 8), decided by the engine, audited, and carried out.

``update_credentials_cos`` (SR 6.23) is the one that changes the registry: when allowed, the
device's credentials move to the requesting Responsible Supplier in the database (with its note on
the registry change feed and its audit entry, in one transaction) and then in the live snapshot,
so the next routed critical alert and the next CoS report see it. ``join_type2`` and
``unjoin_type2`` are decided and audited; the hub keeps no record of the HAN itself.
"""

from __future__ import annotations

from collections.abc import Callable

from meterguard.domain.time import format_instant
from meterguard.policy.decision import Decision, Outcome
from meterguard.policy.engine import decide_service
from meterguard.policy.requests import Action, ServiceRequest
from meterguard.policy.snapshot import Snapshot
from meterguard.services.audit import AuditRecord
from meterguard.services.routing_ports import RoutingStore


class ServiceRequests:
    def __init__(self, store: RoutingStore, facts: Snapshot, clock: Callable[[], int]) -> None:
        self.store = store
        self.facts = facts
        self.clock = clock

    def execute(self, request: ServiceRequest) -> Decision:
        decision = decide_service(request, self.facts, trace=True)
        allowed = decision.outcome is Outcome.ALLOW
        device = self.facts.device(request.subject)
        mpxn = (
            device.mpxn
            if device is not None
            else (request.subject if request.subject in self.facts.fuels else None)
        )
        moves = allowed and request.action == Action.UPDATE_CREDENTIALS_COS and device is not None
        now = self.clock()
        record = AuditRecord(
            party_id=request.party_id,
            role=request.role,
            channel="API",
            action=request.action,
            subject=request.subject,
            decision=decision.outcome.value,
            code=decision.code.value,
            mpxn=mpxn,
            basis=decision.explanation if allowed else "",
            request_id=request.request_id,
            detail={
                "at": format_instant(request.at),
                "explanation": decision.explanation,
                **(
                    {"credentials_from": device.credentials_party_id or ""}
                    if moves and device is not None
                    else {}
                ),
            },
        )
        with self.store.transaction() as writer:
            if moves and device is not None:
                writer.set_credentials_holder(device.guid, request.party_id, device.mpxn, now)
            writer.audit([record], now)
        if moves and device is not None:
            self.facts.put_device(device._replace(credentials_party_id=request.party_id))
        return decision
