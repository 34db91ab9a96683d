"""API keys in the database (``ApiKeyStore``): hashes only, never the keys."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.changes import note_changes
from meterguard.services.api_keys import StoredKey

_keys, _parties = schema.api_keys, schema.parties

# A change-feed kind: other processes drop the authentications they remember.
API_KEYS = "api_keys"


class SqlApiKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def party_exists(self, party_id: str) -> bool:
        with self.engine.connect() as connection:
            return (
                connection.execute(
                    select(_parties.c.party_id).where(_parties.c.party_id == party_id)
                ).first()
                is not None
            )

    def save_key(
        self, key_hash: str, prefix: str, party_id: str, is_operator: bool, at: int
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(_keys).values(
                    key_hash=key_hash,
                    prefix=prefix,
                    party_id=party_id,
                    is_operator=is_operator,
                    created_at=at,
                )
            )

    def find_key(self, key_hash: str) -> tuple[str, StoredKey] | None:
        query = (
            select(_keys, _parties.c.roles)
            .select_from(_keys.outerjoin(_parties, _parties.c.party_id == _keys.c.party_id))
            .where(_keys.c.key_hash == key_hash)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (row.key_hash, _stored(row))

    def list_keys(self) -> list[StoredKey]:
        query = (
            select(_keys, _parties.c.roles)
            .select_from(_keys.outerjoin(_parties, _parties.c.party_id == _keys.c.party_id))
            .order_by(_keys.c.created_at, _keys.c.prefix)
        )
        with self.engine.connect() as connection:
            return [_stored(row) for row in connection.execute(query)]

    def revoke_key(self, prefix: str, at: int) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(_keys)
                .where(_keys.c.prefix == prefix, _keys.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            if result.rowcount:
                note_changes(connection, [(None, API_KEYS)], at)
            return int(result.rowcount)


def _stored(row: object) -> StoredKey:
    roles_text = getattr(row, "roles", None) or ""
    return StoredKey(
        prefix=row.prefix,  # type: ignore[attr-defined]
        party_id=row.party_id,  # type: ignore[attr-defined]
        is_operator=bool(row.is_operator),  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
        roles=frozenset(roles_text.split()) if not row.is_operator else frozenset(),  # type: ignore[attr-defined]
    )
