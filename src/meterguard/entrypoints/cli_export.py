"""``meterguard export``: bulk extracts (the DDP) of exactly the readings a party may have."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from meterguard import bootstrap
from meterguard.domain.time import BadInstant, parse_instant
from meterguard.entrypoints.cli_common import ActorOption, DbOption, err, out
from meterguard.policy.bulk import READINGS_ITEM, BulkRequest
from meterguard.services.exporting import ExportRefused, export_entitled, tag_all

ReadingsOption = Annotated[
    Path | None,
    typer.Option(
        "--readings",
        envvar="MG_READINGS_PARQUET",
        show_envvar=True,
        help="The Parquet readings dataset (written by `import --readings-store parquet:PATH`), for --engine duckdb or spark.",
    ),
]


def _instant(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except BadInstant as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def export(
    out_path: Annotated[Path, typer.Option("--out", help="The file to write.")],
    party: Annotated[
        str | None, typer.Option("--party", help="The party receiving the extract.")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help="The role it acts in.")] = None,
    item: Annotated[
        str, typer.Option("--item", help="The data item (the readings hold hh_consumption).")
    ] = READINGS_ITEM,
    start: Annotated[
        str | None, typer.Option("--from", help="Data time from (inclusive), UTC.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Data time to (exclusive); cut at the decision time.")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    engine_name: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="sqlite, postgres (the readings table), duckdb or spark (the Parquet dataset). Default: the database's kind, or duckdb with --readings.",
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Decide as of this time (default: now).")
    ] = None,
    purpose: Annotated[
        str, typer.Option("--purpose", help="The purpose (Other Users' consents).")
    ] = "",
    tag_entitled: Annotated[
        bool,
        typer.Option(
            "--tag-entitled",
            help="Write every reading with the supplier entitled to it, instead of one party's extract.",
        ),
    ] = False,
    readings: ReadingsOption = None,
    actor: ActorOption = "cli",
    db: DbOption = None,
) -> None:
    """Write the readings a party may have (or, with --tag-entitled, every reading with its supplier).

    The file is written under a temporary name and renamed into place only after the audit entry
    is committed; a refused export is audited and writes nothing."""
    if file_format not in ("parquet", "csv"):
        raise typer.BadParameter("expected parquet or csv", param_hint="--format")
    if item != READINGS_ITEM:
        raise typer.BadParameter(
            f"the readings store holds {READINGS_ITEM} only", param_hint="--item"
        )
    database = bootstrap.database(db)
    name = engine_name or (
        "duckdb"
        if readings is not None
        else "postgres"
        if database.dialect.name == "postgresql"
        else "sqlite"
    )
    try:
        engine = bootstrap.readings_engine(name, database, readings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine") from None
    output = bootstrap.export_file(out_path, file_format, tagged=tag_entitled)
    audit = bootstrap.audit_log(database)

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task(f"export via {engine.name}", total=None)

        def on_progress(rows: int) -> None:
            progress.update(task, completed=rows)

        if tag_entitled:
            windows = bootstrap.bulk_supplier_windows(database)
            report = tag_all(
                windows, actor, engine, output, audit, bootstrap.system_clock, on_progress
            )
        else:
            if party is None or role is None or start is None:
                raise typer.BadParameter(
                    "--party, --role and --from are required (or --tag-entitled)"
                )
            decided_at = _instant(at, "--at")
            data_from = _instant(start, "--from")
            assert data_from is not None
            request = BulkRequest(
                party,
                role,
                item,
                data_from,
                _instant(end, "--to"),
                bootstrap.system_clock() if decided_at is None else decided_at,
                purpose,
            )
            plan = bootstrap.plan_bulk_extract(database, request)
            try:
                report = export_entitled(
                    plan, engine, output, audit, bootstrap.system_clock, on_progress
                )
            except ExportRefused as refused:
                progress.stop()
                err.print(
                    f"export refused: {refused.code} ({refused.reason}); nothing written; audit entry {refused.seq}",
                    markup=False,
                )
                raise typer.Exit(1) from None
    out.print(
        f"wrote {report.rows:,} readings of {report.meter_points:,} meter point(s) "
        f"({report.windows:,} window(s)) to {report.path} via {engine.name}; audit entry {report.audit_seq}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command(name="export")(export)
