"""The web portal: one-time sign-in codes and browser sessions, stored as hashes.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_codes",
        sa.Column("code_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.Column(
            "used_at",
            sa.BigInteger(),
            nullable=True,
            comment="redeemed or superseded by a newer code",
        ),
        sa.PrimaryKeyConstraint("code_id", name="pk_sign_in_codes"),
    )
    op.create_index(
        "ix_sign_in_codes_consumer_id_issued_at", "sign_in_codes", ["consumer_id", "issued_at"]
    )
    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, comment="consumer or operator"),
        sa.Column(
            "subject", sa.String(64), nullable=False, comment="consumer_id or operator party_id"
        ),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True, comment="signed out"),
        sa.PrimaryKeyConstraint("session_hash", name="pk_web_sessions"),
    )


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_index("ix_sign_in_codes_consumer_id_issued_at", table_name="sign_in_codes")
    op.drop_table("sign_in_codes")
