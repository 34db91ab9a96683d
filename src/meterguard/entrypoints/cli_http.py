"""``meterguard serve`` and ``meterguard keys``: the HTTP API and the keys that open it."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from sqlalchemy import Engine, select

from meterguard import bootstrap
from meterguard.adapters.storage import schema
from meterguard.adapters.storage.database import URL_VARIABLE, database_url
from meterguard.domain.catalogue import Channel
from meterguard.domain.roles import responsible_supplier_role
from meterguard.domain.time import DAY, format_instant
from meterguard.entrypoints.cli_common import DbOption, err, out
from meterguard.policy.decision import Outcome
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest
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


@keys_app.command("demo")
def keys_demo(
    url: Annotated[
        str, typer.Option(help="Where the API will be served.")
    ] = "http://127.0.0.1:8000",
    db: DbOption = None,
) -> None:
    """Issue keys for a few demo parties that have something to see now, with a curl for each."""
    engine = bootstrap.database(db)
    keys = bootstrap.api_keys(engine)
    lines: list[str] = []
    for who, role, path in demo_calls(engine):
        key = keys.issue(party_id=who) if role else keys.issue(operator=who)
        label = f"{who} ({role})" if role else f"operator {who}"
        lines.append(f"  {label}: {key}")
        lines.append(f'    curl -H "Authorization: Bearer {key}" "{url}{path}"')
    out.print("Demo API keys (shown once; the hub keeps only their SHA-256):", markup=False)
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)


def demo_calls(engine: Engine) -> list[tuple[str, str, str]]:
    """(party or operator, role, a GET path it is allowed) for a supplier, an Other User with an
    active consent, a Meter Asset Provider, and an operator, as the registry stands now."""
    now = bootstrap.system_clock()
    since = format_instant(now - 2 * DAY - now % DAY)
    facts = bootstrap.facts(engine)
    calls: list[tuple[str, str, str]] = []

    def allowed(party: str, role: str, mpxn: str, purpose: str = "") -> bool:
        request = DataRequest(
            "demo",
            party,
            role,
            Channel.API,
            "hh_consumption",
            mpxn,
            now - 2 * DAY,
            None,
            now,
            purpose,
        )
        return decide(request, facts).outcome is not Outcome.DENY

    for mpxn in sorted(facts.fuels)[:500]:
        role = responsible_supplier_role(facts.fuels[mpxn])
        holder = facts.holder_at(mpxn, role, now)
        if holder and allowed(holder, role.value, mpxn):
            calls.append(
                (
                    holder,
                    role.value,
                    f"/v1/meter-points/{mpxn}/consumption?role={role.value}&from={since}",
                )
            )
            break
    for consent in sorted(facts.consents.values(), key=lambda c: c.consent_id):
        if allowed(consent.party_id, "OU", consent.mpxn, consent.purpose):
            calls.append(
                (
                    consent.party_id,
                    "OU",
                    f"/v1/meter-points/{consent.mpxn}/consumption?role=OU&purpose={consent.purpose}&from={since}",
                )
            )
            break
    owners = sorted(owner for owner in facts_devices(engine) if owner)
    if owners:
        calls.append((owners[0], "MAP", "/v1/devices.csv?role=MAP"))
    calls.append(("demo-operator", "", "/v1/audit/verify"))
    return calls


def facts_devices(engine: Engine) -> list[str | None]:
    with engine.connect() as connection:
        return list(
            connection.execute(select(schema.devices.c.owner_party_id).distinct()).scalars()
        )


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
        # A worker imports the whole command line and loads its snapshot before it answers the
        # supervisor's ping; on a busy machine that takes longer than uvicorn's default 5 s.
        timeout_worker_healthcheck=120,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
