"""The tamper-evident audit log and the registry change feed.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

_REFUSE_CHANGES = """
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column(
            "action", sa.String(64), nullable=False, comment="data item, service action or event"
        ),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("mpxn", sa.String(13), nullable=True),
        sa.Column("data_from", sa.BigInteger(), nullable=True),
        sa.Column("data_to", sa.BigInteger(), nullable=True),
        sa.Column("asked", sa.Text(), nullable=False, comment="JSON: periods asked"),
        sa.Column("allowed", sa.Text(), nullable=False, comment="JSON: periods released"),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column(
            "basis",
            sa.Text(),
            nullable=False,
            comment="legal basis: appointment, consent or matrix cell",
        ),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, comment="JSON: anything else worth keeping"),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_mpxn_seq", "audit_log", ["mpxn", "seq"])
    op.create_index("ix_audit_log_party_id_seq", "audit_log", ["party_id", "seq"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    op.create_table(
        "registry_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mpxn", sa.String(13), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_registry_changes"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_REFUSE_CHANGES)
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_is_append_only()")
    op.drop_table("registry_changes")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_log_party_id_seq", table_name="audit_log")
    op.drop_index("ix_audit_log_mpxn_seq", table_name="audit_log")
    op.drop_table("audit_log")
