"""One-time sign-in codes for the consumer portal.

A consumer signs in with a code sent to them (in production by a ``Notifier``: e-mail, SMS, a
letter; in the demo printed by ``meterguard portal code``). A code is short-lived, works once,
allows a few wrong guesses and is then burned, and is stored only as a hash: a copy of the
database signs no one in. Issuing a new code supersedes the consumer's older ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from meterguard.domain.time import Instant

CODE_LIFETIME = 10 * 60  # seconds
CODE_ATTEMPTS = 5  # wrong guesses before the code is burned
CODE_DIGITS = 8  # 10^8 codes, 5 guesses each: a guess succeeds with odds of 1 in 20 million
CODES_PER_HOUR = 5  # per consumer: each new code restores the guesses, so new codes are rationed


class UnknownConsumer(LookupError):
    """No occupancy names this consumer: there is no one to send a code to."""


class TooManyCodes(RuntimeError):
    """The consumer was sent as many codes as an hour allows."""


@dataclass(frozen=True, slots=True)
class IssuedCode:
    consumer_id: str
    code: str
    expires_at: Instant


@dataclass(frozen=True, slots=True)
class StoredCode:
    code_id: int
    code_hash: str


class Notifier(Protocol):
    """Delivers a code to the consumer it belongs to, by a channel the consumer controls."""

    def send_code(self, issued: IssuedCode) -> None: ...


class SignInStore(Protocol):
    def consumer_exists(self, consumer_id: str) -> bool: ...

    def add_code(
        self, consumer_id: str, code_hash: str, at: Instant, expires_at: Instant, attempts: int
    ) -> None:
        """Store the code and mark the consumer's older unused codes used, in one transaction."""
        ...

    def codes_issued_since(self, consumer_id: str, since: Instant) -> int: ...

    def live_code(self, consumer_id: str, at: Instant) -> StoredCode | None:
        """The consumer's newest code that is unused, unexpired and has attempts left."""
        ...

    def use_code(self, code_id: int, at: Instant) -> bool:
        """Mark the code used if it is still live; False if another request used it first."""
        ...

    def spend_attempt(self, code_id: int) -> None: ...


def code_hash(consumer_id: str, code: str) -> str:
    return hashlib.sha256(f"{consumer_id}\n{code}".encode()).hexdigest()


def normalise(code: str) -> str:
    """Codes are shown as 1234-5678; people type them with spaces, dashes or neither."""
    return "".join(ch for ch in code if ch.isdigit())


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


class SignIn:
    def __init__(
        self, store: SignInStore, notifier: Notifier, clock: Callable[[], Instant]
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    def issue(self, consumer_id: str) -> IssuedCode:
        """A new code for the consumer (older ones stop working). Raises ``UnknownConsumer``,
        or ``TooManyCodes`` past ``CODES_PER_HOUR``."""
        if not self.store.consumer_exists(consumer_id):
            raise UnknownConsumer(f"no occupancy names consumer {consumer_id}")
        now = self.clock()
        if self.store.codes_issued_since(consumer_id, now - 3600) >= CODES_PER_HOUR:
            raise TooManyCodes(
                f"{consumer_id} was sent {CODES_PER_HOUR} codes in the last hour: wait, then ask again"
            )
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        issued = IssuedCode(consumer_id, display(code), now + CODE_LIFETIME)
        self.store.add_code(
            consumer_id, code_hash(consumer_id, code), now, issued.expires_at, CODE_ATTEMPTS
        )
        return issued

    def send(self, consumer_id: str) -> bool:
        """Issue a code and send it through the notifier; False for an unknown consumer or one
        sent too many codes already (the caller says the same thing either way, so the form
        reveals nothing about who is a consumer)."""
        try:
            issued = self.issue(consumer_id)
        except (UnknownConsumer, TooManyCodes):
            return False
        self.notifier.send_code(issued)
        return True

    def redeem(self, consumer_id: str, code: str) -> bool:
        """Whether ``code`` is the consumer's live code; it is then used up. A wrong guess spends
        one of the code's attempts."""
        now = self.clock()
        stored = self.store.live_code(consumer_id, now)
        if stored is None:
            return False
        if not hmac.compare_digest(stored.code_hash, code_hash(consumer_id, normalise(code))):
            self.store.spend_attempt(stored.code_id)
            return False
        return self.store.use_code(stored.code_id, now)
