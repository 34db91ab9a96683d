"""The registry, the permissions matrix, readings, critical alerts and import runs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = True) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "roles", sa.Text(), nullable=False, comment="role codes, space-separated, sorted"
        ),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("manufacturer", sa.Text(), nullable=False, server_default=""),
        sa.Column("domestic_premises", sa.BigInteger()),
        sa.Column("non_domestic_premises", sa.BigInteger()),
        sa.Column("shared_resources", sa.Boolean(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("party_id", name="pk_parties"),
    )
    op.create_table(
        "meter_points",
        sa.Column("mpxn", sa.String(13), nullable=False),
        sa.Column("fuel", sa.String(16), nullable=False),
        sa.Column("sector", sa.String(16), nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("mpxn", name="pk_meter_points"),
    )
    op.create_table(
        "appointments",
        sa.Column("mpxn", sa.String(13), nullable=False),
        sa.Column("role", sa.String(4), nullable=False),
        _instant("valid_from", nullable=False),
        _instant("valid_to"),
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("mpxn", "role", "valid_from", name="pk_appointments"),
        sa.ForeignKeyConstraint(
            ["mpxn"], ["meter_points.mpxn"], name="fk_appointments_mpxn_meter_points"
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.party_id"], name="fk_appointments_party_id_parties"
        ),
    )
    op.create_index(
        "ix_appointments_party_id_role_mpxn", "appointments", ["party_id", "role", "mpxn"]
    )
    op.create_table(
        "occupancies",
        sa.Column("mpxn", sa.String(13), nullable=False),
        _instant("valid_from", nullable=False),
        _instant("valid_to"),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("mpxn", "valid_from", name="pk_occupancies"),
        sa.ForeignKeyConstraint(
            ["mpxn"], ["meter_points.mpxn"], name="fk_occupancies_mpxn_meter_points"
        ),
    )
    op.create_index("ix_occupancies_consumer_id_mpxn", "occupancies", ["consumer_id", "mpxn"])
    op.create_table(
        "devices",
        sa.Column("guid", sa.String(23), nullable=False),
        sa.Column("device_type", sa.String(8), nullable=False),
        sa.Column("mpxn", sa.String(13), nullable=False),
        sa.Column("manufacturer", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("firmware_version", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32)),
        sa.Column("csp_region", sa.String(8), nullable=False),
        sa.Column("owner_party_id", sa.String(32)),
        sa.Column("credentials_party_id", sa.String(32)),
        sa.PrimaryKeyConstraint("guid", name="pk_devices"),
        sa.ForeignKeyConstraint(
            ["mpxn"], ["meter_points.mpxn"], name="fk_devices_mpxn_meter_points"
        ),
        sa.ForeignKeyConstraint(
            ["owner_party_id"], ["parties.party_id"], name="fk_devices_owner_party_id_parties"
        ),
        sa.ForeignKeyConstraint(
            ["credentials_party_id"],
            ["parties.party_id"],
            name="fk_devices_credentials_party_id_parties",
        ),
    )
    op.create_index("ix_devices_mpxn", "devices", ["mpxn"])
    op.create_index("ix_devices_owner_party_id", "devices", ["owner_party_id"])
    op.create_index("ix_devices_manufacturer", "devices", ["manufacturer"])
    op.create_table(
        "consents",
        sa.Column("consent_id", sa.String(64), nullable=False),
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column("mpxn", sa.String(13), nullable=False),
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column(
            "data_groups", sa.Text(), nullable=False, comment="groups, space-separated, sorted"
        ),
        _instant("data_from", nullable=False),
        _instant("data_to"),
        _instant("granted_at", nullable=False),
        _instant("expires_at"),
        _instant("withdrawn_at"),
        _instant("notice_sent_at"),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("consent_id", name="pk_consents"),
        sa.ForeignKeyConstraint(
            ["mpxn"], ["meter_points.mpxn"], name="fk_consents_mpxn_meter_points"
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.party_id"], name="fk_consents_party_id_parties"
        ),
    )
    op.create_index("ix_consents_party_id_mpxn", "consents", ["party_id", "mpxn"])
    op.create_index("ix_consents_consumer_id", "consents", ["consumer_id"])
    op.create_table(
        "matrix_versions",
        sa.Column("version", sa.Integer(), nullable=False, autoincrement=False),
        _instant("effective_from", nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_matrix_versions"),
        sa.UniqueConstraint("effective_from", name="uq_matrix_versions_effective_from"),
    )
    op.create_table(
        "matrix_cells",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(32), nullable=False),
        sa.Column("role", sa.String(4), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("access", sa.String(1), nullable=False),
        sa.PrimaryKeyConstraint("version", "item", "role", "channel", name="pk_matrix_cells"),
        sa.ForeignKeyConstraint(
            ["version"], ["matrix_versions.version"], name="fk_matrix_cells_version_matrix_versions"
        ),
    )
    op.create_table(
        "readings",
        sa.Column("mpxn", sa.String(13), nullable=False),
        _instant("ts", nullable=False),
        sa.Column("kwh", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("mpxn", "ts", name="pk_readings"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "critical_alerts",
        sa.Column("alert_code", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("alert_code", name="pk_critical_alerts"),
    )
    op.create_table(
        "import_runs",
        sa.Column("run_id", sa.Integer(), nullable=False, autoincrement=True),
        _instant("finished_at", nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "summary",
            sa.Text(),
            nullable=False,
            comment="JSON: per file, inserted/updated/unchanged",
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_import_runs"),
    )


def downgrade() -> None:
    for table in (
        "import_runs",
        "critical_alerts",
        "readings",
        "matrix_cells",
        "matrix_versions",
        "consents",
        "devices",
        "occupancies",
        "appointments",
        "meter_points",
        "parties",
    ):
        op.drop_table(table)
