"""The spine: contracts an operator records, and the outbox.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(36), primary_key=True),
        sa.Column("client_request_id", sa.String(80), nullable=False, unique=True),
        sa.Column("business_id", sa.String(64), nullable=False, index=True),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contract", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("envelope", sa.LargeBinary, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("contracts")
