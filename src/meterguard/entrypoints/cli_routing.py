"""Routing what devices send: ``ingest``, ``deliveries``, ``quarantine``, ``purge``, ``reroute``,
``report cos`` and ``service-request``."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from meterguard import bootstrap
from meterguard.adapters.message_files import MessageFileError
from meterguard.domain.time import BadInstant, format_instant, parse_instant
from meterguard.entrypoints.cli_common import ActorOption, DbOption, err, out
from meterguard.policy.decision import Outcome
from meterguard.policy.requests import ServiceRequest
from meterguard.services.cos_report import COLUMNS as COS_COLUMNS
from meterguard.services.ingest import DEFAULT_BATCH_SIZE, IngestRefused

AtOption = Annotated[
    str | None,
    typer.Option("--at", help="As of this UTC time, YYYY-MM-DDTHH:MM:SSZ (default: now)."),
]


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class MailboxFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _at(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except BadInstant as exc:
        err.print(f"--at: {exc}", markup=False)
        raise typer.Exit(2) from None


def ingest(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="Messages: .csv, .jsonl or .parquet."),
    ],
    at: AtOption = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Messages committed per transaction.")
    ] = DEFAULT_BATCH_SIZE,
    db: DbOption = None,
) -> None:
    """Route each message by ACCESS-RULES 9 into the recipients' mailboxes, or into quarantine.

    Rejected lines are printed as file:line: column: message; the run goes on. Running the same
    file again (after a crash, too) delivers nothing twice."""
    engine = bootstrap.database(db)
    try:
        source = bootstrap.message_file(file)
        service = bootstrap.ingest_service(engine, bootstrap.facts(engine))
        report = service.ingest(source, at=_at(at), batch_size=batch_size)
    except (IngestRefused, MessageFileError) as exc:
        err.print(f"ingest refused: {exc}; nothing was written", markup=False)
        raise typer.Exit(1) from None
    for rejection in report.rejections:
        typer.echo(str(rejection), err=True)
    if report.rejected_total > len(report.rejections):
        typer.echo(
            f"... and {report.rejected_total - len(report.rejections)} more rejection(s)", err=True
        )
    table = Table("outcome", "messages", title=f"ingested {file.name}")
    table.add_row("delivered", f"{report.delivered:,} ({report.deliveries:,} deliveries)")
    table.add_row("quarantined", f"{report.quarantined:,}")
    table.add_row("duplicates dropped", f"{report.duplicates:,}")
    table.add_row("rejected", f"{report.rejected_total:,}")
    for reason, count in sorted(report.rejected.items()):
        table.add_row(f"  rejected: {reason}", f"{count:,}")
    corrections = report.corrections
    if corrections is not None and corrections.changed:
        table.add_row("earlier deliveries withdrawn (corrections)", f"{corrections.withdrawn:,}")
    out.print(table)


def deliveries(
    party: Annotated[str, typer.Option("--party", help="The party pulling its mailbox.")],
    ack: Annotated[
        bool, typer.Option("--ack", help="Acknowledge what is pulled: it is not handed out again.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, oldest first.")] = 1000,
    format_: Annotated[
        MailboxFormat, typer.Option("--format", help="table, or json (JSON Lines).")
    ] = MailboxFormat.TABLE,
    db: DbOption = None,
) -> None:
    """Pull a party's mailbox: reads, alerts and deletion notices. Each pull is audited."""
    items = bootstrap.mailbox(bootstrap.database(db)).pull(party, limit=limit, acknowledge=ack)
    if format_ is MailboxFormat.JSON:
        for item in items:
            typer.echo(
                json.dumps(
                    {
                        "delivery_id": item.delivery_id,
                        "kind": item.label,
                        "message_id": item.message_id,
                        "mpxn": item.mpxn,
                        "device_guid": item.device_guid,
                        "ts": format_instant(item.ts),
                        "alert_code": item.alert_code,
                        "payload": item.payload,
                        "basis": item.basis,
                    }
                )
            )
        return
    table = Table(
        "delivery",
        "kind",
        "message",
        "meter point",
        "device",
        "data time",
        "alert",
        "basis",
        title=f"mailbox of {party}: {len(items)} item(s){' (acknowledged)' if ack else ''}",
    )
    for item in items:
        table.add_row(
            str(item.delivery_id),
            item.label,
            item.message_id,
            item.mpxn,
            item.device_guid,
            format_instant(item.ts),
            item.alert_code,
            item.basis,
        )
    out.print(table)


def purge(
    older_than: Annotated[
        int, typer.Option("--older-than", min=0, help="Purge quarantined messages older than DAYS.")
    ],
    actor: ActorOption = "hub",
    db: DbOption = None,
) -> None:
    """Delete the payloads of quarantined messages past their retention; record the purge."""
    report = bootstrap.quarantine(bootstrap.database(db)).purge(older_than, actor=actor)
    out.print(
        f"purge {report.purge_id}: {report.messages} quarantined payload(s) received before "
        f"{format_instant(report.received_before)} deleted"
    )


def reroute(db: DbOption = None) -> None:
    """Apply appointment corrections to stored messages now (import does this by itself)."""
    report = bootstrap.correct_deliveries(bootstrap.database(db))
    out.print(
        f"{report.meter_points} meter point(s) corrected: {report.withdrawn} delivery(ies) "
        f"withdrawn with a deletion notice, {report.delivered} new, "
        f"{report.released} released from quarantine, {report.quarantined} quarantined"
    )


quarantine_app = typer.Typer(help="Messages held for want of a Responsible Supplier.")


@quarantine_app.command("list")
def quarantine_list(
    mpxn: Annotated[str | None, typer.Option(help="Only this meter point's.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, oldest first.")] = 100,
    db: DbOption = None,
) -> None:
    """Quarantined messages with their reason; purged ones show no payload."""
    held = bootstrap.quarantine(bootstrap.database(db)).list(mpxn=mpxn, limit=limit)
    table = Table("message", "meter point", "device", "data time", "kind", "reason", "state")
    for m in held:
        table.add_row(
            m.message_id, m.mpxn, m.device_guid, format_instant(m.ts), m.kind, m.reason, m.state
        )
    out.print(table)


report_app = typer.Typer(help="Reports.", no_args_is_help=True)


@report_app.command("cos")
def report_cos(
    at: AtOption = None,
    min_days: Annotated[
        int, typer.Option("--min-days", min=0, help="Only gaps at least this many days old.")
    ] = 0,
    format_: Annotated[
        ReportFormat, typer.Option("--format", help="table, csv or json.")
    ] = ReportFormat.TABLE,
    db: DbOption = None,
) -> None:
    """Devices whose credentials holder is not the Responsible Supplier (SR 6.23 not done)."""
    engine = bootstrap.database(db)
    when = _at(at)
    rows = bootstrap.cos_report(engine, bootstrap.facts(engine)).rows(when, min_days)
    if format_ is ReportFormat.JSON:
        typer.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    if format_ is ReportFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COS_COLUMNS)
        for row in rows:
            values = row.as_json()
            writer.writerow([values[c] for c in COS_COLUMNS])
        typer.echo(buffer.getvalue(), nl=False)
        return
    table = Table(
        "device",
        "type",
        "meter point",
        "gaining supplier",
        "former supplier (holds credentials)",
        "supply start",
        "days",
        "withheld from former",
        "critical alerts to former",
        title=f"credentials gaps at {format_instant(when if when is not None else bootstrap.system_clock())}: {len(rows)}",
    )
    for row in rows:
        table.add_row(
            row.device_guid,
            row.device_type,
            row.mpxn,
            row.gaining_supplier,
            row.former_supplier,
            format_instant(row.supply_start),
            str(row.days_since_supply_start),
            str(row.withheld_from_former),
            str(row.critical_alerts_to_former),
        )
    out.print(table)


def service_request(
    party: Annotated[str, typer.Option("--party", help="The requesting party.")],
    role: Annotated[str, typer.Option("--role", help="The role it acts in (IS, GS, OU...).")],
    action: Annotated[
        str,
        typer.Option(help="update_credentials_cos (SR 6.23), join_type2 or unjoin_type2."),
    ],
    subject: Annotated[str, typer.Option(help="Device GUID (SR 6.23) or MPxN.")],
    at: AtOption = None,
    db: DbOption = None,
) -> None:
    """Decide a service request, audit it, and carry it out when allowed."""
    engine = bootstrap.database(db)
    when = _at(at)
    request = ServiceRequest(
        "cli",
        party,
        role,
        action,
        subject,
        when if when is not None else bootstrap.system_clock(),
    )
    decision = bootstrap.service_requests(engine, bootstrap.facts(engine)).execute(request)
    typer.echo(json.dumps(decision.as_json()))
    if decision.outcome is not Outcome.ALLOW:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(deliveries)
    app.command()(purge)
    app.command()(reroute)
    app.command("service-request")(service_request)
    app.add_typer(quarantine_app, name="quarantine")
    app.add_typer(report_app, name="report")
