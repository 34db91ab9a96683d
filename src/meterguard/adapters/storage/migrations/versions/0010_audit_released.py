"""Beside an audit entry that covers many meter points (a bulk extract), each meter point and the
periods released of it: the consumer's access log finds bulk extracts of their data through it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_released",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("mpxn", sa.String(13), nullable=False),
        sa.Column("data_from", sa.BigInteger(), nullable=False),
        sa.Column("data_to", sa.BigInteger(), nullable=False),
        sa.Column("periods", sa.Text(), nullable=False, comment="JSON: periods released"),
        sa.PrimaryKeyConstraint("seq", "mpxn", name="pk_audit_released"),
    )
    op.create_index("ix_audit_released_mpxn_seq", "audit_released", ["mpxn", "seq"])
    if op.get_bind().dialect.name == "postgresql":  # append-only, like the entries (0004)
        op.execute(
            "CREATE TRIGGER audit_released_append_only BEFORE UPDATE OR DELETE ON audit_released "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_released_no_truncate BEFORE TRUNCATE ON audit_released "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_released_no_truncate ON audit_released")
        op.execute("DROP TRIGGER IF EXISTS audit_released_append_only ON audit_released")
    op.drop_index("ix_audit_released_mpxn_seq", table_name="audit_released")
    op.drop_table("audit_released")
