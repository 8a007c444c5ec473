"""Recommendations as a room feature: learns from what viewers ask about and buy, on every node.

It follows `product.interest` (signalled on every node from the assistant's reading of a question) and
`stock.changed` with reason "order" (the buyer is the event's user); it imports no other wing.
"""

from __future__ import annotations

from typing import Any

from siyu.events import Event, ProductInterest, StockChanged
from siyu.recommend import Recommender
from siyu.rooms.feature import Feature, follows


class Recommendations(Feature):
    name = "recommendations"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        catalog = room.catalog
        self.recommender = Recommender([p.to_dict() for p in catalog.products] if catalog is not None else [])

    @follows(StockChanged)
    def _bought(self, event: Event[StockChanged]) -> None:
        p = event.payload
        if p.reason == "order" and event.user_id:
            self.recommender.observe(event.user_id, p.product_id, "bought", event.ts / 1000, p.size)

    @follows(ProductInterest)
    def _interest(self, event: Event[ProductInterest]) -> None:
        """(product.interest) a viewer asked about a product."""
        p = event.payload
        if event.user_id:
            self.recommender.observe(event.user_id, p.product_id, p.kind, event.ts / 1000, size=p.size)
