"""``meterguard serve`` and ``meterguard keys``: the HTTP API and the keys that open it."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from meterguard import bootstrap
from meterguard.adapters.storage.database import URL_VARIABLE, database_url
from meterguard.domain.time import format_instant
from meterguard.entrypoints.cli_common import DbOption, err, out
from meterguard.services.api_keys import KeyRefused

keys_app = typer.Typer(help="API keys: issue (shown once), list, revoke.", no_args_is_help=True)


@keys_app.command("issue")
def keys_issue(
    party: Annotated[str | None, typer.Option(help="The party the key speaks for.")] = None,
    operator: Annotated[
        str | None, typer.Option(help="An operator's name: a key for administration.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Issue a key and print it ONCE; only its SHA-256 hash is stored."""
    keys = bootstrap.api_keys(bootstrap.database(db))
    try:
        key = keys.issue(party_id=party, operator=operator)
    except KeyRefused as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from None
    who = f"party {party}" if party else f"operator {operator}"
    err.print(f"API key for {who} (shown once; the hub keeps only its hash):", markup=False)
    typer.echo(key)


@keys_app.command("list")
def keys_list(db: DbOption = None) -> None:
    """Every key's prefix, owner and dates (never the key)."""
    for k in bootstrap.api_keys(bootstrap.database(db)).list():
        who = f"operator {k.party_id}" if k.is_operator else f"party {k.party_id}"
        revoked = f" revoked {format_instant(k.revoked_at)}" if k.revoked_at else ""
        out.print(
            f"{k.prefix}…  {who}  issued {format_instant(k.created_at)}{revoked}", markup=False
        )


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix as `keys list` shows it.")],
    db: DbOption = None,
) -> None:
    """Revoke a key; every server process refuses it from its next request."""
    try:
        bootstrap.api_keys(bootstrap.database(db)).revoke(prefix)
    except KeyRefused as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"revoked {prefix}", markup=False)


def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    db: DbOption = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs)."""
    import uvicorn

    url = database_url(db)
    bootstrap.database(url).dispose()  # migrate once, before the workers start
    os.environ[URL_VARIABLE] = url  # each worker opens its own engine from it
    err.print(f"MeterGuard API on http://{host}:{port}/ ({workers} worker(s))", markup=False)
    uvicorn.run(
        "meterguard.entrypoints.http.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,  # keys travel in headers; the audit log records what matters
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
