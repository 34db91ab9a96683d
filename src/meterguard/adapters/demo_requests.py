"""Sample requests for a demo folder, built from its summary, so that `make run` can show
`meterguard check` and `explain` on real identifiers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from meterguard.adapters.demo_data import DemoSummary


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_sample_requests(summary: DemoSummary, as_of: datetime, path: Path) -> int:
    """A handful of requests, one per line, each showing one rule; returns how many."""
    at = _text(as_of + timedelta(hours=9))
    gap, ssd = summary.credentials_gap_mpxn, summary.credentials_gap_supply_start
    supplier_role = "IS" if len(gap) == 13 else "GS"
    former, current = (
        summary.credentials_gap_former_supplier,
        summary.credentials_gap_current_supplier,
    )

    def data(
        rid: str,
        party: str,
        role: str,
        item: str,
        subject: str,
        start: str,
        purpose: str = "",
        channel: str = "API",
    ) -> dict[str, str]:
        return {
            "request_id": rid,
            "party_id": party,
            "role": role,
            "channel": channel,
            "item": item,
            "subject": subject,
            "from": start,
            "to": "",
            "at": at,
            "purpose": purpose,
        }

    requests = [
        data(
            "former-supplier-across-the-ssd",
            former,
            supplier_role,
            "hh_consumption",
            gap,
            _text(ssd - timedelta(days=7)),
        ),
        data(
            "former-supplier-after-the-ssd",
            former,
            supplier_role,
            "hh_consumption",
            gap,
            _text(ssd + timedelta(days=1)),
        ),
        data(
            "gaining-supplier-since-the-ssd",
            current,
            supplier_role,
            "hh_consumption",
            gap,
            _text(ssd),
        ),
        data("excluded-group-over-api", current, supplier_role, "priority_services", gap, ""),
        data(
            "other-user-under-consent",
            summary.active_consent_party_id,
            "OU",
            "hh_consumption",
            summary.active_consent_mpxn,
            _text(as_of - timedelta(days=60)),
            summary.active_consent_purpose,
        ),
        data(
            "other-user-other-purpose",
            summary.active_consent_party_id,
            "OU",
            "hh_consumption",
            summary.active_consent_mpxn,
            _text(as_of - timedelta(days=60)),
            "marketing",
        ),
        data(
            "major-energy-user-own-site",
            summary.meu_party_id,
            "MEU",
            "hh_consumption",
            summary.meu_mpxn,
            _text(as_of - timedelta(days=2)),
        ),
        data(
            "asset-provider-inventory",
            summary.map_party_id,
            "MAP",
            "device_inventory",
            summary.credentials_gap_device_guid,
            "",
        ),
        {
            "request_id": "sr-6.23-by-the-gaining-supplier",
            "party_id": current,
            "role": supplier_role,
            "action": "update_credentials_cos",
            "subject": summary.credentials_gap_device_guid,
            "at": at,
        },
        {
            "request_id": "sr-6.23-by-the-former-supplier",
            "party_id": former,
            "role": supplier_role,
            "action": "update_credentials_cos",
            "subject": summary.credentials_gap_device_guid,
            "at": at,
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    return len(requests)
