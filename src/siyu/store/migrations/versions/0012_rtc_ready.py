"""calls: the liveness of the staff ready for 1v1 calls (rtc_ready)

Revision ID: 0012
Revises: 0011

One row per staff member ready for calls in a room, its `seen_at` refreshed by the node they are connected
to; another node deletes a stale row by compare-and-set and records `call.ready` false (their node died).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rtc_ready",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rtc_ready")
