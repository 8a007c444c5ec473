"""coupons: a drop per row (coupon_batches), a grant per row (coupon_grants)

Revision ID: 0004
Revises: 0003

A claim is one transaction: claimed + 1 on the batch row where claimed < quantity, the user's grants
counted under that lock, the grant inserted (unique on batch, user, n) with its event.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupon_batches",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("coupon_id", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("claimed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("per_user", sa.Integer, nullable=False),
        sa.Column("opens_at", sa.BigInteger, nullable=False),
        sa.Column("closes_at", sa.BigInteger, nullable=False),
        sa.Column("to_user", sa.String(64), nullable=True),
    )
    op.create_index("ix_coupon_batches_room", "coupon_batches", ["room_id", "opens_at"])
    op.create_table(
        "coupon_grants",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "batch_id", sa.String(64), sa.ForeignKey("coupon_batches.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ux_coupon_grants_batch_user_n", "coupon_grants", ["batch_id", "user_id", "n"], unique=True
    )


def downgrade() -> None:
    op.drop_table("coupon_grants")
    op.drop_table("coupon_batches")
