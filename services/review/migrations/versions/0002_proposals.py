"""Proposals and review: windows, proposals, notices, disqualifications and the read models fed by
other services' events (register entries, open data requests, datasets).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "windows",
        sa.Column("window_id", sa.String(36), primary_key=True),
        sa.Column("client_request_id", sa.String(80), nullable=False, unique=True),
        sa.Column("fiscal_year", sa.Integer, nullable=False, index=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.String(36), primary_key=True),
        sa.Column("business_id", sa.String(64), nullable=False, index=True),
        sa.Column("client_request_id", sa.String(80), nullable=False),
        sa.Column("state", sa.String(24), nullable=False, index=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("proposal", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("business_id", "client_request_id", name="uq_proposals_business_request"),
    )
    op.create_table(
        "notices",
        sa.Column("notice_id", sa.String(36), primary_key=True),
        sa.Column("proposal_id", sa.String(36), nullable=False, unique=True),
        sa.Column("notice", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "disqualifications",
        sa.Column("disqualification_id", sa.String(36), primary_key=True),
        sa.Column("client_request_id", sa.String(80), nullable=False, unique=True),
        sa.Column("business_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "published_files",
        sa.Column("file_id", sa.String(36), primary_key=True),
        sa.Column("municipality_code", sa.String(6), nullable=False, index=True),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("number_of_persons", sa.Integer, nullable=False),
        sa.Column("proposals_invited", sa.Boolean, nullable=False),
    )
    op.create_table(
        "open_requests",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("municipality_code", sa.String(6), nullable=False, index=True),
        sa.Column("is_open", sa.Boolean, nullable=False),
    )
    op.create_table(
        "datasets",
        sa.Column("dataset_id", sa.String(36), primary_key=True),
        sa.Column("contract_id", sa.String(36), nullable=False),
        sa.Column("number_of_persons", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("datasets", "open_requests", "published_files", "disqualifications", "notices", "proposals",
                  "windows"):
        op.drop_table(table)
