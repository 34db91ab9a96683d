"""What every ``meterguard`` command module shares: the consoles and the common options.

Each area of the command line (routing, the HTTP server, exports, compliance) lives in a module of
its own with a ``register(app)`` function; ``cli.py`` calls each one.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from meterguard.adapters.storage.database import URL_VARIABLE

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

ActorOption = Annotated[
    str, typer.Option("--actor", help="Who makes the change (recorded with it).")
]
