"""Orders (issue 12): checkout in the room, flash sales (限时秒杀), the coupon wallet, shop orders."""

from siyu.interactions.orders.feature import Orders, order_id_for
from siyu.interactions.orders.messages import FlashPushIn, OrderCode, OrderIn, OrderPlaced, QuoteIn, WalletIn
from siyu.interactions.orders.store import OrderRow, OrderStore, Refused

__all__ = [
    "FlashPushIn", "OrderCode", "OrderIn", "OrderPlaced", "OrderRow", "OrderStore", "Orders", "QuoteIn",
    "Refused", "WalletIn", "order_id_for",
]  # fmt: skip
