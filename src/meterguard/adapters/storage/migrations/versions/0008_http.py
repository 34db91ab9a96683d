"""The HTTP API: hashed API keys and the Other Users' daily meter-point counts.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("is_operator", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_party_id", "api_keys", ["party_id"])
    op.create_table(
        "ou_meter_points",
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("mpxn", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "day", "mpxn", name="pk_ou_meter_points"),
    )


def downgrade() -> None:
    op.drop_table("ou_meter_points")
    op.drop_index("ix_api_keys_party_id", table_name="api_keys")
    op.drop_table("api_keys")
