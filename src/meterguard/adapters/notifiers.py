"""Ways to send a consumer their one-time sign-in code (``Notifier``).

Production plugs in a channel the consumer controls (e-mail, SMS, a letter). The demo prints the
code on the server's console, where whoever runs the demo reads it: for demos only, since a code
in a console or a log is a credential in a log.
"""

from __future__ import annotations

import sys
from typing import TextIO

from meterguard.domain.time import format_instant
from meterguard.services.sign_in import IssuedCode


class ConsoleNotifier:
    """Prints each code on a stream (standard error by default). Demo only."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send_code(self, issued: IssuedCode) -> None:
        stream = self.stream or sys.stderr
        print(
            f"[demo notifier] sign-in code for {issued.consumer_id}: {issued.code} "
            f"(until {format_instant(issued.expires_at)})",
            file=stream,
            flush=True,
        )


class OutboxNotifier:
    """Keeps codes in memory, for tests that read what a consumer was sent."""

    def __init__(self) -> None:
        self.sent: list[IssuedCode] = []

    def send_code(self, issued: IssuedCode) -> None:
        self.sent.append(issued)
