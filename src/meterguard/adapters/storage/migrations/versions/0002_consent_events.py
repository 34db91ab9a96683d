"""Consent events: every change of a consent, with who made it and when.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("event_id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("consent_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, comment="JSON"),
        sa.PrimaryKeyConstraint("event_id", name="pk_consent_events"),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.consent_id"], name="fk_consent_events_consent_id_consents"
        ),
    )
    op.create_index("ix_consent_events_consent_id_at", "consent_events", ["consent_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_consent_events_consent_id_at", "consent_events")
    op.drop_table("consent_events")
