"""SQLAlchemy Core tables. Alembic migrations in store/migrations must match these (a test checks)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

shops = Table(
    "shops",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("host_name", String(100), nullable=False, server_default=""),
    Column("data", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("shop_id", String(64), ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("link_no", Integer, nullable=True),
    Column("name", String(300), nullable=False),
    Column("short_name", String(100), nullable=False),
    Column("price", Integer, nullable=False),
    Column("live_price", Integer, nullable=False),
    Column("data", JSON, nullable=False),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("shop_id", String(64), ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("welcome_template", Text, nullable=True),
    Column("pinned_product_id", String(64), nullable=True),
    Column("created_at", BigInteger, nullable=False),
)

live_sessions = Table(
    "live_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("room_id", String(64), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),
    Index("ix_live_sessions_room", "room_id", "started_at"),
)

viewers = Table(
    "viewers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("nickname", String(64), nullable=False),
    Column("avatar", String(500), nullable=True),
    Column("level", Integer, nullable=False, server_default="0"),
    Column("first_seen_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=True),
    Column("user_id", String(64), nullable=True),
    Column("type", String(40), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("payload", JSON, nullable=False),
    Column("ctx_id", String(32), nullable=False),
    Column("ctx_parent", String(32), nullable=True),
    Column("actor", String(64), nullable=True),
    # the client's id of the action that made the event: a re-sent cid is never posted twice, whenever and
    # on whichever node it comes back (NULLs are distinct: events without a cid are not constrained)
    Column("cid", String(64), nullable=True),
    # a room message's wire bytes and priority, as acknowledged: the room stream is rebuilt from the log
    # when a node misses a publication (a node died between commit and publish, a broker outage)
    Column("wire", LargeBinary, nullable=True),
    Column("prio", SmallInteger, nullable=True),
    # one seq names one room message, in every mode (NULLs are distinct: events that are not room messages)
    Index("ux_events_room_seq", "room_id", "seq", unique=True),
    Index("ux_events_room_user_cid", "room_id", "user_id", "cid", unique=True),
    Index("ix_events_room_user_type", "room_id", "user_id", "type"),
    Index("ix_events_room_ts", "room_id", "ts"),
)

# The room sequencer: the event log's writer takes a room's next seqs from this row inside the transaction
# that inserts them, so seqs are unique, gap-free and in commit order across nodes, workers and broker
# outages (the row lock orders concurrent writers of one room).
room_seqs = Table(
    "room_seqs",
    metadata,
    Column("room_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

# Coupons (issue 12): a drop is a row and a grant is a row; a claim is one transaction that takes one from
# `claimed < quantity` and inserts the grant (and its event), so the database decides, across nodes.
coupon_batches = Table(
    "coupon_batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("coupon_id", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("claimed", Integer, nullable=False, server_default="0"),
    Column("per_user", Integer, nullable=False),
    Column("opens_at", BigInteger, nullable=False),
    Column("closes_at", BigInteger, nullable=False),
    Column("to_user", String(64), nullable=True),  # a personal card: only this viewer may claim it
    Index("ix_coupon_batches_room", "room_id", "opens_at"),
)

coupon_grants = Table(
    "coupon_grants",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("batch_id", String(64), ForeignKey("coupon_batches.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("n", Integer, nullable=False),  # the user's 1st, 2nd … grant of the batch (<= per_user)
    Column("ts", BigInteger, nullable=False),
    # two concurrent claims of one user cannot both take the same n
    Index("ux_coupon_grants_batch_user_n", "batch_id", "user_id", "n", unique=True),
)

# Fan clubs (issue 12): one membership per shop and user (the primary key: a join on two nodes at once makes
# one row). XP is added in SQL, one UPDATE per member and flush with the daily caps (`*_today` count today's
# units for `day`), so concurrent nodes never lose or double an award.
fan_members = Table(
    "fan_members",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("nickname", String(64), nullable=False),
    Column("joined_at", BigInteger, nullable=False),
    Column("via", String(16), nullable=False),  # free | gift
    Column("xp", BigInteger, nullable=False, server_default="0"),
    Column("level", Integer, nullable=False, server_default="1"),
    Column("last_active_day", Integer, nullable=False),  # Beijing day number of the last activity
    Column("day", Integer, nullable=False),  # the day the *_today counters are for
    Column("watch_today", Integer, nullable=False, server_default="0"),  # minutes
    Column("comment_today", Integer, nullable=False, server_default="0"),  # comments
    Column("like_today", Integer, nullable=False, server_default="0"),  # likes
    Column("gift_today", BigInteger, nullable=False, server_default="0"),  # coins
    Column("purchase_today", BigInteger, nullable=False, server_default="0"),  # yuan
    Column("watch_minute", BigInteger, nullable=False, server_default="0"),  # the last minute counted
    Index("ix_fan_members_shop_xp", "shop_id", "xp"),
)
