"""The ``meterguard`` command line (Typer + Rich)."""

from __future__ import annotations

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
def status(db: DbOption = None) -> None:
    """Rows per table and the schema revision."""
    engine = bootstrap.database(db)
    table = Table("table", "rows", title=f"schema revision {current_revision(engine)}")
    for name, count in table_counts(engine).items():
        table.add_row(name, f"{count:,}")
    out.print(table)


def main() -> None:
    app()
