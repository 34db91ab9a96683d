"""Routing what devices send: messages, mailboxes, quarantine purges, the corrections cursor.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("mpxn", sa.String(13), nullable=False),
        sa.Column("device_guid", sa.String(23), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False, comment="data time"),
        sa.Column("kind", sa.String(8), nullable=False, comment="read or alert"),
        sa.Column("alert_code", sa.String(16), nullable=False, server_default=""),
        sa.Column("payload", sa.Text(), nullable=True, comment="NULL once purged"),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, comment="routed, quarantined or purged"),
        sa.Column(
            "reason", sa.String(32), nullable=False, server_default="", comment="why quarantined"
        ),
        sa.Column("purge_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_messages"),
    )
    op.create_index("ix_messages_mpxn_ts", "messages", ["mpxn", "ts"])
    op.create_index("ix_messages_device_guid_ts", "messages", ["device_guid", "ts"])
    op.create_index("ix_messages_state_received_at", "messages", ["state", "received_at"])
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("notice", sa.String(16), nullable=False, comment="message or deletion"),
        sa.Column("basis", sa.String(32), nullable=False, comment="why this party receives it"),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("pulled_at", sa.BigInteger(), nullable=True, comment="first handed to the party"),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=True),
        sa.Column(
            "withdrawn_at",
            sa.BigInteger(),
            nullable=True,
            comment="no longer entitled: a deletion notice follows",
        ),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.message_id"], name="fk_deliveries_message_id_messages"
        ),
    )
    op.create_index(
        "ix_deliveries_party_id_acknowledged_at_delivery_id",
        "deliveries",
        ["party_id", "acknowledged_at", "delivery_id"],
    )
    op.create_index("ix_deliveries_message_id", "deliveries", ["message_id"])
    op.create_table(
        "quarantine_purges",
        sa.Column("purge_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("older_than_days", sa.Integer(), nullable=False),
        sa.Column("received_before", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("purge_id", name="pk_quarantine_purges"),
    )
    op.create_table(
        "routing_cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_routing_cursor"),
    )


def downgrade() -> None:
    op.drop_table("routing_cursor")
    op.drop_table("quarantine_purges")
    op.drop_index("ix_deliveries_message_id", table_name="deliveries")
    op.drop_index("ix_deliveries_party_id_acknowledged_at_delivery_id", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_messages_state_received_at", table_name="messages")
    op.drop_index("ix_messages_device_guid_ts", table_name="messages")
    op.drop_index("ix_messages_mpxn_ts", table_name="messages")
    op.drop_table("messages")
