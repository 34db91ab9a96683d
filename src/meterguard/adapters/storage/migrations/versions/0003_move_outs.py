"""Move-outs recorded in the hub, which a later import may not undo.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "move_outs",
        sa.Column("mpxn", sa.String(13), nullable=False),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("mpxn", "consumer_id", "at", name="pk_move_outs"),
        sa.ForeignKeyConstraint(
            ["mpxn"], ["meter_points.mpxn"], name="fk_move_outs_mpxn_meter_points"
        ),
    )


def downgrade() -> None:
    op.drop_table("move_outs")
