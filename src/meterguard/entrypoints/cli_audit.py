"""``meterguard audit``: verify the hash chain, and read the log."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from meterguard import bootstrap
from meterguard.entrypoints.cli_common import DbOption, err, out

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Walk the whole hash chain; name the first broken entry and exit 1 if there is one."""
    report = bootstrap.audit_log(bootstrap.database(db)).verify()
    if report.ok:
        out.print(report.describe(), markup=False)
        return
    err.print(report.describe(), markup=False)
    raise typer.Exit(1)


@audit_app.command("list")
def audit_list(
    mpxn: Annotated[str | None, typer.Option(help="Only entries about this meter point.")] = None,
    party: Annotated[str | None, typer.Option(help="Only entries of this party.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    db: DbOption = None,
) -> None:
    """Entries as JSON Lines, newest first."""
    log = bootstrap.audit_log(bootstrap.database(db))
    for entry in log.entries(mpxn=mpxn, party_id=party, limit=limit, newest_first=True):
        typer.echo(json.dumps(entry.as_json(), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
