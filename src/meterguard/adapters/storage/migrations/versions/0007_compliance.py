"""Compliance: user entry dates, security and privacy assessments, random samples, matrix change
requests with their DPIA screenings, consumer contact records.

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "party_user_entries",
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.Column("entered_at", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.party_id"], name="fk_party_user_entries_party_id_parties"
        ),
        sa.PrimaryKeyConstraint("party_id", name="pk_party_user_entries"),
    )
    op.create_table(
        "security_assessments",
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, comment="full, verification or self"),
        sa.Column("completed_at", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.party_id"], name="fk_security_assessments_party_id_parties"
        ),
        sa.PrimaryKeyConstraint("party_id", "year", name="pk_security_assessments"),
    )
    op.create_table(
        "privacy_samples",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seed", sa.String(128), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("population", sa.Text(), nullable=False, comment="JSON: party ids, sorted"),
        sa.Column(
            "chosen", sa.Text(), nullable=False, comment="JSON: party ids, lowest ticket first"
        ),
        sa.Column("drawn_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_privacy_samples"),
    )
    op.create_table(
        "privacy_assessments",
        sa.Column("assessment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("party_id", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, comment="user or random_sample"),
        sa.Column("charge", sa.String(16), nullable=False, comment="explicit or recoverable"),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("report_at", sa.BigInteger(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("response_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.party_id"], name="fk_privacy_assessments_party_id_parties"
        ),
        sa.PrimaryKeyConstraint("assessment_id", name="pk_privacy_assessments"),
        sa.UniqueConstraint(
            "party_id", "year", "kind", name="uq_privacy_assessments_party_id_year_kind"
        ),
    )
    op.create_index("ix_privacy_assessments_year", "privacy_assessments", ["year"])
    op.create_table(
        "matrix_changes",
        sa.Column("change_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.String(16),
            nullable=False,
            comment="draft, submitted, approved, rejected",
        ),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column(
            "cells", sa.Text(), nullable=False, comment="JSON: [item, role, channel, access] rows"
        ),
        sa.Column("drafted_at", sa.BigInteger(), nullable=False),
        sa.Column("drafted_by", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("effective_from", sa.BigInteger(), nullable=True),
        sa.Column("new_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("change_id", name="pk_matrix_changes"),
    )
    op.create_table(
        "dpia_screenings",
        sa.Column("screening_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False, comment="JSON: ref -> [yes, comment]"),
        sa.Column("risks", sa.Text(), nullable=False, comment="JSON: privacy risks identified"),
        sa.Column("requires_stage2", sa.Boolean(), nullable=False),
        sa.Column("stage2_reference", sa.Text(), server_default="", nullable=False),
        sa.Column("screened_at", sa.BigInteger(), nullable=False),
        sa.Column("screened_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["matrix_changes.change_id"],
            name="fk_dpia_screenings_change_id_matrix_changes",
        ),
        sa.PrimaryKeyConstraint("screening_id", name="pk_dpia_screenings"),
    )
    op.create_index("ix_dpia_screenings_change_id", "dpia_screenings", ["change_id"])
    op.create_table(
        "consumer_contacts",
        sa.Column("consumer_id", sa.String(64), nullable=False),
        sa.Column(
            "kind",
            sa.String(32),
            nullable=False,
            comment="consumer_contact, emergency_contact, priority_services",
        ),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("consumer_id", "kind", name="pk_consumer_contacts"),
    )


def downgrade() -> None:
    op.drop_table("consumer_contacts")
    op.drop_index("ix_dpia_screenings_change_id", table_name="dpia_screenings")
    op.drop_table("dpia_screenings")
    op.drop_table("matrix_changes")
    op.drop_index("ix_privacy_assessments_year", table_name="privacy_assessments")
    op.drop_table("privacy_assessments")
    op.drop_table("privacy_samples")
    op.drop_table("security_assessments")
    op.drop_table("party_user_entries")
