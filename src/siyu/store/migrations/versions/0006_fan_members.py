"""fan clubs: one membership per shop and user (fan_members), XP and today's capped units per source

Revision ID: 0006
Revises: 0007 (the lucky bags were merged first)

XP is added in one UPDATE per member and flush, with the daily caps in SQL; the primary key keeps one
membership per shop and user across nodes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fan_members",
        sa.Column("shop_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("nickname", sa.String(64), nullable=False),
        sa.Column("joined_at", sa.BigInteger, nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("xp", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("level", sa.Integer, nullable=False, server_default="1"),
        sa.Column("last_active_day", sa.Integer, nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("watch_today", sa.Integer, nullable=False, server_default="0"),
        sa.Column("comment_today", sa.Integer, nullable=False, server_default="0"),
        sa.Column("like_today", sa.Integer, nullable=False, server_default="0"),
        sa.Column("gift_today", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("purchase_today", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("watch_minute", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_fan_members_shop_xp", "fan_members", ["shop_id", "xp"])


def downgrade() -> None:
    op.drop_table("fan_members")
