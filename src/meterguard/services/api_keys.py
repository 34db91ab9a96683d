"""API keys: who is calling the HTTP API (issue 5, party authentication).

A key is 32 random bytes (URL-safe text) shown once when issued; the hub keeps only its SHA-256.
A fast hash is right here, unlike for passwords: the key carries 256 bits of entropy, so nobody
can guess it from its hash however fast they hash, and a slow hash would only slow every request.
A key speaks either for a party (with that party's roles, as the registry holds them now) or for
a named operator (the administration role).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from meterguard.domain.time import Instant

OPERATOR_ROLE = "OPERATOR"
KEY_PREFIX = "mg_"
_PREFIX_LENGTH = 11  # "mg_" and 8 characters of the key: enough to tell keys apart in a list


class KeyRefused(ValueError):
    """A key that cannot be issued or revoked as asked; nothing was written."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request comes from: a party with its roles, or an operator."""

    party_id: str  # the party, or the operator's name when ``is_operator``
    is_operator: bool
    roles: frozenset[str]

    def holds(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class StoredKey:
    prefix: str
    party_id: str
    is_operator: bool
    created_at: Instant
    revoked_at: Instant | None
    roles: frozenset[str]  # the party's roles now; empty for an operator


class ApiKeyStore(Protocol):
    def party_exists(self, party_id: str) -> bool: ...

    def save_key(
        self, key_hash: str, prefix: str, party_id: str, is_operator: bool, at: Instant
    ) -> None: ...

    def find_key(self, key_hash: str) -> tuple[str, StoredKey] | None:
        """(stored hash, key) for this hash, if any."""
        ...

    def list_keys(self) -> list[StoredKey]: ...

    def revoke_key(self, prefix: str, at: Instant) -> int:
        """Revoke every unrevoked key with this prefix; how many."""
        ...


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys:
    """Issue, authenticate and revoke keys. Authentications are remembered in the process until
    ``forget`` (called when the change feed says keys or parties changed)."""

    def __init__(self, store: ApiKeyStore, clock: Callable[[], Instant]) -> None:
        self.store = store
        self.clock = clock
        self._known: dict[str, Principal | None] = {}

    def issue(self, *, party_id: str | None = None, operator: str | None = None) -> str:
        """A new key for a party or an operator, returned once; only its hash is stored."""
        if (party_id is None) == (operator is None):
            raise KeyRefused("a key is for a party or for an operator, not both or neither")
        if party_id is not None and not self.store.party_exists(party_id):
            raise KeyRefused(f"no party {party_id}")
        name = party_id or operator or ""
        if not name.strip():
            raise KeyRefused("the operator's name is empty")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.store.save_key(
            hash_key(key), key[:_PREFIX_LENGTH], name, operator is not None, self.clock()
        )
        return key

    def authenticate(self, key: str) -> Principal | None:
        """The principal a presented key speaks for, or None (unknown, revoked, malformed)."""
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
            return None
        digest = hash_key(key)
        if digest in self._known:
            return self._known[digest]
        found = self.store.find_key(digest)
        principal = None
        if found is not None:
            stored_hash, stored = found
            # The lookup matched on the hash already; compare again in constant time so that no
            # path through this function depends on how much of a hash matched.
            if hmac.compare_digest(stored_hash, digest) and stored.revoked_at is None:
                roles = frozenset({OPERATOR_ROLE}) if stored.is_operator else stored.roles
                principal = Principal(stored.party_id, stored.is_operator, roles)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[digest] = principal
        return principal

    def forget(self) -> None:
        self._known.clear()

    def list(self) -> list[StoredKey]:
        return self.store.list_keys()

    def revoke(self, prefix: str) -> int:
        if len(prefix) < _PREFIX_LENGTH:
            raise KeyRefused(f"give the key's prefix as listed ({_PREFIX_LENGTH} characters)")
        count = self.store.revoke_key(prefix, self.clock())
        self.forget()
        if not count:
            raise KeyRefused(f"no unrevoked key {prefix}")
        return count
