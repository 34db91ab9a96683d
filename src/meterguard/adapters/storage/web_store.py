"""Sign-in codes and browser sessions in the database (``SignInStore``, ``SessionStore``)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Engine, and_, func, insert, select, update

from meterguard.adapters.storage import schema
from meterguard.domain.time import Instant
from meterguard.services.sign_in import StoredCode
from meterguard.services.web_sessions import Session, SessionKind

_codes, _sessions = schema.sign_in_codes, schema.web_sessions


class SqlSignInStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def consumer_exists(self, consumer_id: str) -> bool:
        table = schema.occupancies
        with self.engine.connect() as connection:
            found = connection.execute(
                select(table.c.mpxn).where(table.c.consumer_id == consumer_id).limit(1)
            ).first()
        return found is not None

    def add_code(
        self, consumer_id: str, code_hash: str, at: Instant, expires_at: Instant, attempts: int
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(_codes)
                .where(and_(_codes.c.consumer_id == consumer_id, _codes.c.used_at.is_(None)))
                .values(used_at=at)
            )
            connection.execute(
                insert(_codes).values(
                    consumer_id=consumer_id,
                    code_hash=code_hash,
                    issued_at=at,
                    expires_at=expires_at,
                    attempts_left=attempts,
                )
            )

    def codes_issued_since(self, consumer_id: str, since: Instant) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count())
                    .select_from(_codes)
                    .where(_codes.c.consumer_id == consumer_id, _codes.c.issued_at > since)
                ).scalar_one()
            )

    def live_code(self, consumer_id: str, at: Instant) -> StoredCode | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_codes.c.code_id, _codes.c.code_hash)
                .where(_live(at), _codes.c.consumer_id == consumer_id)
                .order_by(_codes.c.issued_at.desc(), _codes.c.code_id.desc())
                .limit(1)
            ).first()
        return None if row is None else StoredCode(row.code_id, row.code_hash)

    def use_code(self, code_id: int, at: Instant) -> bool:
        # One UPDATE that checks the code is still live: of two requests racing with the same
        # code, exactly one changes the row.
        with self.engine.begin() as connection:
            result = connection.execute(
                update(_codes).where(_live(at), _codes.c.code_id == code_id).values(used_at=at)
            )
        return result.rowcount == 1

    def spend_attempt(self, code_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(_codes)
                .where(and_(_codes.c.code_id == code_id, _codes.c.attempts_left > 0))
                .values(attempts_left=_codes.c.attempts_left - 1)
            )


def _live(at: Instant) -> ColumnElement[bool]:
    return and_(_codes.c.used_at.is_(None), _codes.c.expires_at > at, _codes.c.attempts_left > 0)


class SqlSessionStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_session(
        self, session_hash: str, kind: str, subject: str, at: Instant, expires_at: Instant
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(_sessions).values(
                    session_hash=session_hash,
                    kind=kind,
                    subject=subject,
                    created_at=at,
                    expires_at=expires_at,
                )
            )

    def live_session(self, session_hash: str, at: Instant) -> Session | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_sessions.c.kind, _sessions.c.subject, _sessions.c.expires_at).where(
                    _sessions.c.session_hash == session_hash,
                    _sessions.c.expires_at > at,
                    _sessions.c.ended_at.is_(None),
                )
            ).first()
        return None if row is None else Session(SessionKind(row.kind), row.subject, row.expires_at)

    def end_session(self, session_hash: str, at: Instant) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(_sessions)
                .where(
                    and_(_sessions.c.session_hash == session_hash, _sessions.c.ended_at.is_(None))
                )
                .values(ended_at=at)
            )
