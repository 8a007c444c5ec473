"""orders: live stock per SKU in its own rows (sku_stock), orders, flash sales; grants learn expiry and use

Revision ID: 0005
Revises: 0004

Stock moves from the product document into `sku_stock` rows so that an order takes stock with one
conditional UPDATE (count >= qty) inside the order's transaction: the database decides, across nodes.
The rows are filled from each product's `stock` map. A grant records when it expires and the order that
redeemed it (a grant is redeemed once: `order_id IS NULL` is the condition of the UPDATE that uses it).
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sku_stock",
        sa.Column("shop_id", sa.String(64), primary_key=True),
        sa.Column("product_id", sa.String(64), primary_key=True),
        sa.Column("sku", sa.String(130), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("room_id", sa.String(64), nullable=True),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=True),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("subtotal_cents", sa.BigInteger, nullable=False),
        sa.Column("discount_cents", sa.BigInteger, nullable=False),
        sa.Column("total_cents", sa.BigInteger, nullable=False),
        sa.Column("coupon_id", sa.String(64), nullable=True),
        sa.Column("grant_id", sa.String(32), nullable=True),
        sa.Column("flash_id", sa.String(64), nullable=True),
        sa.Column("flash_qty", sa.Integer, nullable=False, server_default="0"),
        sa.Column("via", sa.String(80), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("logged", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ux_orders_shop_external", "orders", ["shop_id", "external_id"], unique=True)
    op.create_index("ix_orders_shop_user", "orders", ["shop_id", "user_id", "created_at"])
    op.create_index("ix_orders_room_logged", "orders", ["room_id", "logged"])
    op.create_index("ix_orders_flash_user", "orders", ["flash_id", "user_id"])
    op.create_table(
        "flash_sales",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("sold", sa.Integer, nullable=False, server_default="0"),
        sa.Column("per_user", sa.Integer, nullable=False),
        sa.Column("opens_at", sa.BigInteger, nullable=False),
        sa.Column("closes_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_flash_sales_room", "flash_sales", ["room_id", "opens_at"])
    with op.batch_alter_table("coupon_grants") as batch:
        batch.add_column(sa.Column("expires_at", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("order_id", sa.String(64), nullable=True))
    op.create_index("ix_coupon_grants_user", "coupon_grants", ["user_id", "order_id"])

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT shop_id, id, data FROM products")).all()
    stock = sa.table(
        "sku_stock", sa.column("shop_id"), sa.column("product_id"), sa.column("sku"), sa.column("count"),
        sa.column("version"),
    )  # fmt: skip
    fill = []
    for shop_id, product_id, data in rows:
        doc = json.loads(data) if isinstance(data, str) else data
        for sku, count in (doc or {}).get("stock", {}).items():
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                fill.append({"shop_id": shop_id, "product_id": product_id, "sku": sku, "count": count,
                             "version": 0})  # fmt: skip
    if fill:
        op.bulk_insert(stock, fill)


def downgrade() -> None:
    op.drop_index("ix_coupon_grants_user", "coupon_grants")
    with op.batch_alter_table("coupon_grants") as batch:
        batch.drop_column("order_id")
        batch.drop_column("expires_at")
    op.drop_table("flash_sales")
    op.drop_table("orders")
    op.drop_table("sku_stock")
