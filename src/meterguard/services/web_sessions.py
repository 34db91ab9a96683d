"""Browser sessions for the portal and the operator pages, and their CSRF tokens.

The session id is 256 random bits, sent only in an HttpOnly cookie and stored only as its
SHA-256. Each session's CSRF token (a synchronizer token) is derived from the session id, so it
needs no storage and no one without the cookie can compute it; every form carries it and every
POST is refused without it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from meterguard.domain.time import Instant

SESSION_LIFETIME = 60 * 60  # seconds: an hour, then sign in again


class SessionKind(StrEnum):
    CONSUMER = "consumer"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Session:
    kind: SessionKind
    subject: str  # the consumer_id, or the operator's party_id
    expires_at: Instant


class SessionStore(Protocol):
    def add_session(
        self, session_hash: str, kind: str, subject: str, at: Instant, expires_at: Instant
    ) -> None: ...

    def live_session(self, session_hash: str, at: Instant) -> Session | None: ...

    def end_session(self, session_hash: str, at: Instant) -> None: ...


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(secret: str) -> str:
    """The token forms carry, derived from a secret only the browser's cookie holds."""
    return hmac.new(secret.encode(), b"csrf", hashlib.sha256).hexdigest()


def csrf_ok(secret: str | None, token: str | None) -> bool:
    if not secret or not token:
        return False
    return hmac.compare_digest(csrf_token(secret), token)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Sessions:
    def __init__(self, store: SessionStore, clock: Callable[[], Instant]) -> None:
        self.store = store
        self.clock = clock

    def open(self, kind: SessionKind, subject: str) -> str:
        """A new session; returns the secret id for the cookie (the store keeps its hash)."""
        secret = new_secret()
        now = self.clock()
        self.store.add_session(
            secret_hash(secret), kind.value, subject, now, now + SESSION_LIFETIME
        )
        return secret

    def find(self, secret: str | None, kind: SessionKind) -> Session | None:
        if not secret:
            return None
        session = self.store.live_session(secret_hash(secret), self.clock())
        return session if session is not None and session.kind is kind else None

    def end(self, secret: str) -> None:
        self.store.end_session(secret_hash(secret), self.clock())
