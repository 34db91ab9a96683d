"""The ``meterguard`` command line (Typer + Rich)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from meterguard import bootstrap
from meterguard.adapters.storage.database import current_revision
from meterguard.adapters.storage.import_store import table_counts
from meterguard.domain.catalogue import Group
from meterguard.domain.time import format_instant, parse_instant
from meterguard.entrypoints import (
    cli_audit,
    cli_compliance,
    cli_export,
    cli_http,
    cli_routing,
    cli_web,
)
from meterguard.entrypoints.cli_common import ActorOption, DbOption, err, out
from meterguard.policy.requests import BadRequest, parse_request
from meterguard.services.checking import check_lines
from meterguard.services.checking import explain as explain_request
from meterguard.services.consents import ConsentRefused, ConsentService
from meterguard.services.importing.problems import ImportRejected

app = typer.Typer(
    help="MeterGuard: who may have which smart-meter data, about which meter point, for which period.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def init(db: DbOption = None) -> None:
    """Create the database, or upgrade an older one to the newest schema."""
    engine = bootstrap.database(db)
    out.print(
        f"database ready at schema revision {current_revision(engine)}: {engine.url.render_as_string(hide_password=True)}"
    )


@app.command(name="import")
def import_(
    folder: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Folder of INTERCHANGE files.")
    ],
    db: DbOption = None,
    readings_store: Annotated[
        str,
        typer.Option(
            "--readings-store",
            help="Where readings go: db (the readings table) or parquet:PATH (a date-partitioned dataset).",
        ),
    ] = "db",
) -> None:
    """Import a folder of INTERCHANGE.md files: all of it, or (on any invalid row) none of it."""
    from meterguard.adapters.readings_parquet import parse_store  # loads DuckDB: only here

    try:
        dataset = parse_store(readings_store)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    engine = bootstrap.database(db)
    with Progress(
        TextColumn("[bold]readings"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("readings", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            if dataset is None:
                report = bootstrap.import_directory(engine, folder, on_progress)
            else:
                report = bootstrap.import_directory_to_parquet(engine, folder, dataset, on_progress)
        except ImportRejected as rejected:
            progress.stop()
            for problem in rejected.problems:
                typer.echo(str(problem), err=True)
            if rejected.more:
                typer.echo(f"... and {rejected.more} more problem(s)", err=True)
            err.print(
                f"import rejected: {len(rejected.problems) + rejected.more} problem(s); the database is unchanged"
            )
            raise typer.Exit(1) from None
        except ValueError as exc:
            progress.stop()
            err.print(f"import rejected: {exc}; the database is unchanged", markup=False)
            raise typer.Exit(1) from None
    columns = ("inserted", "updated", "deleted", "unchanged")
    table = Table("file", *columns, title=f"imported {folder}")
    for name, counts in report.files.items():
        table.add_row(name, *(f"{counts[k]:,}" for k in columns))
    out.print(table)


@app.command(name="demo-data")
def demo_data(
    folder: Annotated[
        Path, typer.Argument(file_okay=False, help="Folder to write (created if missing).")
    ],
    meters: Annotated[int, typer.Option(min=1, help="Number of meter points.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 1,
    days: Annotated[
        int, typer.Option(min=0, help="Days of half-hourly readings, ending at --as-of.")
    ] = 30,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The demo world's 'now', YYYY-MM-DD (default: today, UTC)."),
    ] = None,
    parquet: Annotated[
        bool, typer.Option(help="Write readings.parquet instead of readings.csv.")
    ] = False,
) -> None:
    """Write a realistic, valid demo folder for `meterguard import`."""
    from meterguard.adapters.demo_data import write_demo_folder
    from meterguard.adapters.demo_requests import write_sample_requests

    moment = (
        datetime.strptime(as_of, "%Y-%m-%d").replace(tzinfo=UTC)
        if as_of
        else datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    folder.mkdir(parents=True, exist_ok=True)
    total = meters * days * 48
    with Progress(
        TextColumn("[bold]readings"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("readings", total=total)
        summary = write_demo_folder(
            folder,
            meters=meters,
            seed=seed,
            as_of=moment,
            days=days,
            readings_format="parquet" if parquet else "csv",
            progress=lambda rows: progress.update(task, completed=rows),
        )
    samples = write_sample_requests(summary, moment, folder / "requests.jsonl")
    out.print(
        f"wrote {folder} (as of {moment:%Y-%m-%d}), with {samples} sample requests in requests.jsonl:"
    )
    out.print(summary)


@app.command()
def check(
    requests: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="Requests, one JSON object per line."),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Decisions file (JSON Lines); standard output if omitted."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Decide each request as of its own `at`, with no side effect: one decision line per request."""
    facts = bootstrap.facts(bootstrap.database(db))
    with requests.open(encoding="utf-8") as source:
        decisions = check_lines(source, facts)
        if out is None:
            for line in decisions:
                typer.echo(line)
            return
        with out.open("w", encoding="utf-8") as sink:
            count = 0
            for line in decisions:
                sink.write(line + "\n")
                count += 1
    err.print(f"{count:,} decision(s) written to {out}")


@app.command()
def explain(
    request_json: Annotated[
        str | None,
        typer.Argument(
            metavar="[REQUEST]",
            help="One request as a JSON object (INTERCHANGE.md); or use the options.",
        ),
    ] = None,
    party: Annotated[str | None, typer.Option(help="Party id.")] = None,
    role: Annotated[str | None, typer.Option(help="Role code the party acts in.")] = None,
    item: Annotated[str | None, typer.Option(help="Data item (or use --action).")] = None,
    action: Annotated[
        str | None,
        typer.Option(help="Service action: join_type2, unjoin_type2, update_credentials_cos."),
    ] = None,
    subject: Annotated[str | None, typer.Option(help="MPxN or device GUID.")] = None,
    channel: Annotated[str, typer.Option(help="API, BULK or PORTAL.")] = "API",
    from_: Annotated[
        str,
        typer.Option("--from", help="Start of the data period; empty asks for the current value."),
    ] = "",
    to: Annotated[str, typer.Option(help="End of the data period; empty is open-ended.")] = "",
    at: Annotated[str | None, typer.Option(help="Decision time (default: now).")] = None,
    purpose: Annotated[str, typer.Option(help="Purpose (Other Users).")] = "",
    db: DbOption = None,
) -> None:
    """Print the reasoning chain of one decision, check by check, as a compliance officer reads it."""
    if request_json is not None:
        try:
            fields = json.loads(request_json)
        except json.JSONDecodeError as exc:
            err.print(f"not a JSON request: {exc}", markup=False)
            raise typer.Exit(2) from None
    else:
        fields = {
            "request_id": "explain",
            "party_id": party or "",
            "role": role or "",
            "subject": subject or "",
            "at": at or format_instant(bootstrap.system_clock()),
        }
        if action:
            fields["action"] = action
        else:
            fields.update(
                {
                    "item": item or "",
                    "channel": channel,
                    "from": from_,
                    "to": to,
                    "purpose": purpose,
                }
            )
    try:
        request = parse_request(fields)
    except BadRequest as exc:
        err.print(f"BAD_REQUEST: {exc}", markup=False)
        raise typer.Exit(2) from None
    facts = bootstrap.facts(bootstrap.database(db))
    for line in explain_request(request, facts):
        typer.echo(line)


consent_app = typer.Typer(
    help="Grant, notify, withdraw and inspect consumers' consents to Other Users.",
    no_args_is_help=True,
)
app.add_typer(consent_app, name="consent")


def _consents(db: str | None) -> ConsentService:
    engine = bootstrap.database(db)
    return bootstrap.consent_service(engine, bootstrap.facts(engine))


def _refused(exc: ConsentRefused) -> typer.Exit:
    err.print(f"refused: {exc}", markup=False)
    return typer.Exit(1)


@consent_app.command("grant")
def consent_grant(
    consumer: Annotated[
        str, typer.Option(help="The consenting consumer (must occupy the meter point now).")
    ],
    mpxn: Annotated[str, typer.Option(help="The meter point.")],
    party: Annotated[str, typer.Option(help="The Other User receiving the consent.")],
    purpose: Annotated[str, typer.Option(help="The specified purpose, e.g. energy_advice.")],
    groups: Annotated[
        str, typer.Option(help="Data groups, space-separated, e.g. 'CONSUMPTION ALERTS'.")
    ],
    data_from: Annotated[str, typer.Option("--data-from", help="Start of the data window.")],
    verification: Annotated[
        str, typer.Option(help="How the consumer was verified to be the consumer.")
    ],
    actor: ActorOption,
    data_to: Annotated[
        str, typer.Option("--data-to", help="End of the data window (empty: open).")
    ] = "",
    expires: Annotated[str, typer.Option(help="Expiry (empty: none).")] = "",
    db: DbOption = None,
) -> None:
    """Record a consent. It grants nothing until its written notice is recorded."""
    try:
        chosen = {Group(g) for g in groups.split()}
        consent = _consents(db).grant(
            consumer_id=consumer,
            mpxn=mpxn,
            party_id=party,
            purpose=purpose,
            data_groups=chosen,
            data_from=parse_instant(data_from),
            data_to=parse_instant(data_to) if data_to else None,
            expires_at=parse_instant(expires) if expires else None,
            verification=verification,
            actor=actor,
        )
    except ConsentRefused as exc:
        raise _refused(exc) from None
    except ValueError as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    out.print(
        f"granted {consent.consent_id}; state: pending_notice until the written notice is recorded"
    )


@consent_app.command("notice")
def consent_notice(
    consent_id: Annotated[str, typer.Argument(help="The consent.")],
    time_periods: Annotated[
        str, typer.Option("--time-periods", help="The time periods told to the consumer.")
    ],
    purpose: Annotated[
        str, typer.Option(help="The purpose told to the consumer (must be the consent's).")
    ],
    right_to_withdraw: Annotated[
        str, typer.Option("--right-to-withdraw", help="How the consumer can object or withdraw.")
    ],
    actor: ActorOption,
    db: DbOption = None,
) -> None:
    """Record the written notice sent to the consumer; from now the consent can be active."""
    try:
        _consents(db).record_notice(
            consent_id,
            time_periods=time_periods,
            purpose=purpose,
            right_to_withdraw=right_to_withdraw,
            actor=actor,
        )
    except ConsentRefused as exc:
        raise _refused(exc) from None
    out.print(f"notice recorded for {consent_id}")


@consent_app.command("withdraw")
def consent_withdraw(
    consent_id: Annotated[str, typer.Argument(help="The consent.")],
    actor: ActorOption,
    reason: Annotated[str, typer.Option(help="Why, if the consumer said.")] = "",
    db: DbOption = None,
) -> None:
    """Withdraw a consent, effective at once."""
    try:
        consent = _consents(db).withdraw(consent_id, actor=actor, reason=reason)
    except ConsentRefused as exc:
        raise _refused(exc) from None
    out.print(f"withdrawn {consent_id} at {format_instant(consent.withdrawn_at or 0)}")


@consent_app.command("expire")
def consent_expire(actor: ActorOption = "hub", db: DbOption = None) -> None:
    """Record an event for every consent whose expiry has passed."""
    expired = _consents(db).expire_due(actor=actor)
    out.print(f"{len(expired)} consent(s) recorded as expired")


@consent_app.command("list")
def consent_list(
    consumer: Annotated[str | None, typer.Option(help="Only this consumer's consents.")] = None,
    party: Annotated[str | None, typer.Option(help="Only consents given to this party.")] = None,
    at: Annotated[str | None, typer.Option(help="State as of this time (default: now).")] = None,
    db: DbOption = None,
) -> None:
    """Consents with their lifecycle state."""
    facts = bootstrap.facts(bootstrap.database(db))
    when = parse_instant(at) if at else bootstrap.system_clock()
    table = Table(
        "consent",
        "consumer",
        "meter point",
        "party",
        "purpose",
        "groups",
        "state",
        title=f"consents at {format_instant(when)}",
    )
    for c in sorted(facts.consents.values(), key=lambda c: c.consent_id):
        if (consumer and c.consumer_id != consumer) or (party and c.party_id != party):
            continue
        state = c.state_at(when, facts.occupancy_of(c.consumer_id, c.mpxn))
        table.add_row(
            c.consent_id,
            c.consumer_id,
            c.mpxn,
            c.party_id,
            c.purpose,
            " ".join(sorted(c.data_groups)),
            state.value,
        )
    out.print(table)


@consent_app.command("history")
def consent_history(
    consent_id: Annotated[str, typer.Argument(help="The consent.")], db: DbOption = None
) -> None:
    """Every change of one consent: what, when, and who."""
    try:
        events = _consents(db).history(consent_id)
    except ConsentRefused as exc:
        raise _refused(exc) from None
    for event in events:
        typer.echo(
            f"{format_instant(event.at)}  {event.event:<18} by {event.actor}  {event.detail_json()}"
        )


@app.command("move-out")
def move_out(
    mpxn: Annotated[str, typer.Argument(help="The meter point.")],
    consumer: Annotated[str, typer.Argument(help="The occupant who leaves.")],
    actor: ActorOption,
    at: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    db: DbOption = None,
) -> None:
    """End an occupancy; every consent the occupant gave there ends with it."""
    try:
        ended = _consents(db).move_out(
            mpxn, consumer, actor=actor, at=parse_instant(at) if at else None
        )
    except ConsentRefused as exc:
        raise _refused(exc) from None
    except ValueError as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    out.print(f"{consumer} moved out of {mpxn}; consents ended: {', '.join(ended) or 'none'}")


@app.command()
def status(db: DbOption = None) -> None:
    """Rows per table and the schema revision."""
    engine = bootstrap.database(db)
    table = Table("table", "rows", title=f"schema revision {current_revision(engine)}")
    for name, count in table_counts(engine).items():
        table.add_row(name, f"{count:,}")
    out.print(table)


# Each area of the command line registers its own commands (see cli_common.py).
cli_audit.register(app)
cli_http.register(app)
cli_export.register(app)
cli_routing.register(app)
cli_web.register(app)
cli_compliance.register(app)


def main() -> None:
    app()
