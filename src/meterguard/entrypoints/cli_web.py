"""``meterguard portal``: the consumer portal's command line (the demo's one-time codes)."""

from __future__ import annotations

from typing import Annotated

import typer

from meterguard import bootstrap
from meterguard.entrypoints.cli_common import DbOption, err
from meterguard.services.sign_in import CODE_LIFETIME, TooManyCodes, UnknownConsumer

portal_app = typer.Typer(help="The consumer portal.", no_args_is_help=True)


@portal_app.command("code")
def portal_code(
    consumer: Annotated[str, typer.Argument(help="The consumer_id of an occupancy.")],
    db: DbOption = None,
) -> None:
    """Issue a one-time sign-in code for CONSUMER and print it (the demo's notifier). The code
    works once, for 10 minutes; issuing another makes this one stop working."""
    try:
        issued = bootstrap.sign_in_codes(bootstrap.database(db)).issue(consumer)
    except (UnknownConsumer, TooManyCodes) as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(1) from None
    typer.echo(issued.code)
    err.print(
        f"sign-in code for {consumer}, valid {CODE_LIFETIME // 60} minutes, once: "
        "enter it at /portal/sign-in",
        markup=False,
    )


@portal_app.command("demo")
def portal_demo(
    url: Annotated[str, typer.Option(help="Where the server answers.")] = "http://127.0.0.1:8000",
    db: DbOption = None,
) -> None:
    """For the demo: pick a consumer with active consents, issue them a code, and say how to sign
    in (the code works once, for 10 minutes)."""
    engine = bootstrap.database(db)
    facts = bootstrap.snapshot_follower(engine)
    found = bootstrap.web_portal(engine, facts).portal.demo_consumer()
    if found is None:
        err.print("no consumer has an active consent: nothing to show in the portal", markup=False)
        raise typer.Exit(1)
    consumer, active = found
    issued = bootstrap.sign_in_codes(engine).issue(consumer)
    typer.echo(f"Consumer portal: {url.rstrip('/')}/portal")
    typer.echo(
        f"  sign in as {consumer} with code {issued.code} "
        f"({active} active consent(s); the code works once, for {CODE_LIFETIME // 60} minutes;"
        f" another: meterguard portal code {consumer})"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
