"""lucky bags: one row per bag (lucky_bags) with its secret seed and, once drawn, its entries and winners

Revision ID: 0007
Revises: 0005

The seed is kept out of the event log until the draw reveals it; the first node to set drawn_at decides
the draw.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lucky_bags",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("starter", sa.String(64), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("seed_hash", sa.String(64), nullable=False),
        sa.Column("winners", sa.Integer, nullable=False),
        sa.Column("opens_at", sa.BigInteger, nullable=False),
        sa.Column("until", sa.BigInteger, nullable=False),
        sa.Column("drawn_at", sa.BigInteger, nullable=True),
        sa.Column("entries", sa.JSON, nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("awarded_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_lucky_bags_room", "lucky_bags", ["room_id", "opens_at"])


def downgrade() -> None:
    op.drop_table("lucky_bags")
