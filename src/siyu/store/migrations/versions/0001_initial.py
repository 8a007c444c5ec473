"""initial schema: shops, products, rooms, live sessions, viewers, event log

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
        "shops",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("host_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("shop_id", sa.String(64), sa.ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("link_no", sa.Integer, nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("short_name", sa.String(100), nullable=False),
        sa.Column("price", sa.Integer, nullable=False),
        sa.Column("live_price", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("shop_id", sa.String(64), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("welcome_template", sa.Text, nullable=True),
        sa.Column("pinned_product_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("room_id", sa.String(64), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_live_sessions_room", "live_sessions", ["room_id", "started_at"])
    op.create_table(
        "viewers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("nickname", sa.String(64), nullable=False),
        sa.Column("avatar", sa.String(500), nullable=True),
        sa.Column("level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_seen_at", sa.BigInteger, nullable=False),
        sa.Column("last_seen_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("ctx_id", sa.String(32), nullable=False),
        sa.Column("ctx_parent", sa.String(32), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
    )
    op.create_index("ix_events_room_seq", "events", ["room_id", "seq"])
    op.create_index("ix_events_room_user_type", "events", ["room_id", "user_id", "type"])
    op.create_index("ix_events_room_ts", "events", ["room_id", "ts"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("viewers")
    op.drop_table("live_sessions")
    op.drop_table("rooms")
    op.drop_table("products")
    op.drop_table("shops")
