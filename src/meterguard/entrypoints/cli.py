"""The ``meterguard`` command line (Typer + Rich)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
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
from meterguard.adapters.storage.database import URL_VARIABLE, current_revision
from meterguard.adapters.storage.import_store import table_counts
from meterguard.domain.time import format_instant
from meterguard.policy.requests import BadRequest, parse_request
from meterguard.services.checking import check_lines
from meterguard.services.checking import explain as explain_request
from meterguard.services.importing.problems import ImportRejected

app = typer.Typer(
    help="MeterGuard: who may have which smart-meter data, about which meter point, for which period.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=URL_VARIABLE,
        help="SQLAlchemy database URL (default sqlite:///meterguard.db).",
        show_envvar=True,
    ),
]


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
) -> None:
    """Import a folder of INTERCHANGE.md files: all of it, or (on any invalid row) none of it."""
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
            report = bootstrap.import_directory(engine, folder, on_progress)
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
    out.print(f"wrote {folder} (as of {moment:%Y-%m-%d}):")
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


@app.command()
def status(db: DbOption = None) -> None:
    """Rows per table and the schema revision."""
    engine = bootstrap.database(db)
    table = Table("table", "rows", title=f"schema revision {current_revision(engine)}")
    for name, count in table_counts(engine).items():
        table.add_row(name, f"{count:,}")
    out.print(table)


def main() -> None:
    app()
