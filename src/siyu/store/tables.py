"""SQLAlchemy Core tables. Alembic migrations in store/migrations must match these (a test checks)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
    false,
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
    Column("expires_at", BigInteger, nullable=True),
    Column("order_id", String(64), nullable=True),  # the order that redeemed it (once: `order_id IS NULL`)
    # two concurrent claims of one user cannot both take the same n
    Index("ux_coupon_grants_batch_user_n", "batch_id", "user_id", "n", unique=True),
    Index("ix_coupon_grants_user", "user_id", "order_id"),
)

# Orders (issue 12): live stock per SKU is a row, so an order takes it with one conditional UPDATE
# (count >= qty) in the order's own transaction; `version` orders the `stock` messages of concurrent changes.
sku_stock = Table(
    "sku_stock",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("product_id", String(64), primary_key=True),
    Column("sku", String(130), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("version", BigInteger, nullable=False, server_default="0"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("room_id", String(64), nullable=True),
    Column("session_id", String(64), nullable=True),
    Column("user_id", String(64), nullable=True),
    Column("source", String(16), nullable=False),  # room (checkout in the room) / shop (the webhook)
    Column("external_id", String(64), nullable=True),  # the shop's order id: one order per shop id
    Column("items", JSON, nullable=False),
    Column("subtotal_cents", BigInteger, nullable=False),
    Column("discount_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("coupon_id", String(64), nullable=True),
    Column("grant_id", String(32), nullable=True),
    Column("flash_id", String(64), nullable=True),
    Column("flash_qty", Integer, nullable=False, server_default="0"),
    Column("via", String(80), nullable=True),  # the interaction that led to it (flash:<id>, card, poll:<id>…)
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # the outbox flag: its `order.placed` event is in the log (a node that died before logging it is
    # relayed by the next node that loads the room)
    Column("logged", Boolean, nullable=False, server_default=false()),
    Index("ux_orders_shop_external", "shop_id", "external_id", unique=True),
    Index("ix_orders_shop_user", "shop_id", "user_id", "created_at"),
    Index("ix_orders_room_logged", "room_id", "logged"),
    Index("ix_orders_flash_user", "flash_id", "user_id"),
)

flash_sales = Table(
    "flash_sales",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("product_id", String(64), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("sold", Integer, nullable=False, server_default="0"),
    Column("per_user", Integer, nullable=False),
    Column("opens_at", BigInteger, nullable=False),
    Column("closes_at", BigInteger, nullable=False),
    Index("ix_flash_sales_room", "room_id", "opens_at"),
)

# Lucky bags (福袋, issue 12): the bag's secret seed lives here, never in the log (which may be exported),
# until the draw reveals it; the first node to set `drawn_at` decides the draw (entries and winners kept
# here, so the audit lists exactly the entries that were drawn), whichever node publishes the result.
lucky_bags = Table(
    "lucky_bags",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("starter", String(64), nullable=False),  # the staff user who started it (the draw's once-key)
    Column("seed", String(64), nullable=False),  # 32 random bytes, hex: secret until the draw
    Column("seed_hash", String(64), nullable=False),  # sha256(seed), hex: published at the start
    Column("winners", Integer, nullable=False),  # how many may win
    Column("opens_at", BigInteger, nullable=False),
    Column("until", BigInteger, nullable=False),
    Column("drawn_at", BigInteger, nullable=True),
    Column("entries", JSON, nullable=True),  # the drawn entries (user ids) in draw order
    Column("result", JSON, nullable=True),  # the winners in draw order: [{"id", "nick"}]
    Column("awarded_at", BigInteger, nullable=True),  # every winner's prize recorded
    Index("ix_lucky_bags_room", "room_id", "opens_at"),
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

# Playbooks (issue 13): one YAML document per room (its version and paused playbooks), the fire-once claims
# of timer triggers (the node whose insert wins runs), the run traces, the per-viewer contact budget (one
# row per shop and viewer, changed by compare-and-set on `version`) and the viewer tags playbooks set.
playbook_files = Table(
    "playbook_files",
    metadata,
    Column("room_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("paused", JSON, nullable=False),  # playbook ids the operator paused
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String(64), nullable=False),
)
playbook_fires = Table(
    "playbook_fires",
    metadata,
    Column("room_id", String(64), primary_key=True),
    Column("playbook_id", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("at", BigInteger, nullable=False),
)
playbook_runs = Table(
    "playbook_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=True),
    Column("playbook_id", String(64), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("status", String(32), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("trace", JSON, nullable=False),
    Index("ix_playbook_runs_room", "room_id", "started_at"),
)
contact_budget = Table(
    "contact_budget",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("version", Integer, nullable=False),
)
viewer_tags = Table(
    "viewer_tags",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("tag", String(30), primary_key=True),
    Column("at", BigInteger, nullable=False),
)

# Private-domain invites (issue 13): one row per invite a playbook issued, keyed by its WeCom `state`
# (playbooks/invite.py: at most 30 characters, derived from room, session, playbook and user), so the
# WeCom callback finds the invite a customer came through. Accepted once: the first callback sets
# `accepted_at` and `external_id` (the customer's ExternalUserID).
invites = Table(
    "invites",
    metadata,
    Column("state", String(30), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("playbook_id", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),  # wecom_contact, community_group, mini_program …
    Column("incentive", String(200), nullable=False),  # what the viewer is offered ("" for none)
    Column("url", String(2048), nullable=False),  # what the QR code encodes ("" for follow_notify)
    Column("config_id", String(128), nullable=True),  # WeCom's contact / join way id (to delete it later)
    Column("created_at", BigInteger, nullable=False),
    Column("accepted_at", BigInteger, nullable=True),
    Column("external_id", String(64), nullable=True),
    Index("ix_invites_room", "room_id"),
)

# PK battles (issue 14): one row per battle; every transition is a compare-and-set on `status`
# (invited -> live | declined | expired | cancelled; live -> punish; punish -> closed), so exactly one node
# records it. `pk_rooms` holds a room while it is in a battle (invited, live or punish): a room is in at
# most one (the invite inserts both rows in one transaction; its IntegrityError is `pk.busy`).
pk_battles = Table(
    "pk_battles",
    metadata,
    Column("pk_id", String(32), primary_key=True),
    Column("room_a", String(64), nullable=False),
    Column("room_b", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("punish_s", Integer, nullable=False),
    Column("invited_by", String(64), nullable=False),
    Column("invited_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("started_at", BigInteger, nullable=True),
    Column("ends_at", BigInteger, nullable=True),
    Column("punish_until", BigInteger, nullable=True),
    Column("ended_at", BigInteger, nullable=True),
    Column("result", JSON, nullable=True),  # the pk.ended payload (any node can record it again from here)
)
pk_rooms = Table(
    "pk_rooms",
    metadata,
    Column("room_id", String(64), primary_key=True),
    Column("pk_id", String(32), nullable=False),
)

# Calls and the co-host mic (issue 14, interactions/rtc): one row per call (kind "call" 1v1 or "mic" a mic
# guest with the staff member who accepted), its status moved by compare-and-set; `rtc_parties` locks each
# party (a user is in at most one ringing/connected call across nodes); `mic_slot` (unique per room while
# set) caps the mic's guests exactly across nodes; `seen_at` is refreshed by the nodes a party is on (a
# call nobody refreshes is stale: its node died); `caller_seen_at`/`callee_seen_at` say when each party was
# last seen connected on any node (a party who left and is not seen for `rtc.leave_grace_s` left the call).
rtc_calls = Table(
    "rtc_calls",
    metadata,
    Column("call_id", String(32), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("caller", String(64), nullable=False),
    Column("callee", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # ringing | connected | ended
    Column("created_at", BigInteger, nullable=False),
    Column("accepted_at", BigInteger, nullable=True),
    Column("ended_at", BigInteger, nullable=True),
    Column("end_reason", String(16), nullable=True),
    Column("seen_at", BigInteger, nullable=False),
    Column("mic_slot", Integer, nullable=True),
    Column("caller_seen_at", BigInteger, nullable=True),
    Column("callee_seen_at", BigInteger, nullable=True),
    Index("ix_rtc_calls_room", "room_id", "status"),
    Index("ux_rtc_calls_mic_slot", "room_id", "mic_slot", unique=True),
)
rtc_parties = Table(
    "rtc_parties",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("call_id", String(32), nullable=False),
)
# Staff ready for 1v1 calls (the `call.ready` events decide who is): `seen_at` is refreshed by the node the
# staff member is connected to; a row nobody refreshed for STALE_S is deleted by compare-and-set by another
# node, which records `call.ready` false (the staff member's node died).
rtc_ready = Table(
    "rtc_ready",
    metadata,
    Column("room_id", String(64), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("seen_at", BigInteger, nullable=False),
)
