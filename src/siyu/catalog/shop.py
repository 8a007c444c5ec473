"""Shop policy: shipping, returns, payment, customer service, coupon rules and the shop FAQ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from siyu.catalog.errors import CatalogError, jsonable

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "CouponRules",
    "CustomerService",
    "FaqEntry",
    "PaymentPolicy",
    "ReturnsPolicy",
    "ShippingPolicy",
    "ShopPolicy",
]


@dataclass(slots=True)
class ShippingPolicy:
    free_shipping: bool = True
    free_shipping_threshold: float = 0
    free_shipping_note: str = ""
    ship_within_hours: int = 48
    ship_note: str = ""
    carrier: str = ""
    sf_upgrade_fee: float | None = None
    sf_note: str = ""
    ship_from: str = ""
    remote_areas: tuple[str, ...] = ()
    remote_area_fee: float | None = None
    remote_area_note: str = ""
    no_delivery: tuple[str, ...] = ()
    no_delivery_note: str = ""
    delivery_days: dict[str, str] = field(default_factory=dict)
    delivery_note: str = ""


@dataclass(slots=True)
class ReturnsPolicy:
    seven_day_no_reason: bool = True
    window_days: int = 7
    conditions: str = ""
    shipping_insurance: bool = False
    return_shipping: str = ""
    exchange: str = ""
    quality_issue: str = ""
    refund_time: str = ""
    presale_note: str = ""


@dataclass(slots=True)
class PaymentPolicy:
    methods: tuple[str, ...] = ()
    installment: str = ""
    cash_on_delivery: bool = False


@dataclass(slots=True)
class CustomerService:
    hours: str = ""
    channel: str = ""
    after_sales: str = ""


@dataclass(slots=True)
class CouponRules:
    stacking: str = ""
    where: str = ""
    best_price_note: str = ""


@dataclass(slots=True, frozen=True)
class FaqEntry:
    q: str
    a: str


_T = TypeVar("_T", bound="DataclassInstance")


def _section(cls: type[_T], data: Any, what: str) -> _T:
    """Build a flat policy dataclass from a dict; lists become tuples, keys it does not know are skipped."""
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        raise CatalogError(f"{what}: expected an object")
    names = {f.name for f in fields(cls)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - defensive
        raise CatalogError(f"{what}: {exc}") from exc


@dataclass(slots=True)
class ShopPolicy:
    name: str = ""
    host: str = ""
    intro: str = ""
    live_hours: str = ""
    shipping: ShippingPolicy = field(default_factory=ShippingPolicy)
    returns: ReturnsPolicy = field(default_factory=ReturnsPolicy)
    payment: PaymentPolicy = field(default_factory=PaymentPolicy)
    customer_service: CustomerService = field(default_factory=CustomerService)
    coupon_rules: CouponRules = field(default_factory=CouponRules)
    faq: tuple[FaqEntry, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShopPolicy:
        faq_raw = data.get("faq") or []
        if not isinstance(faq_raw, list):
            raise CatalogError("shop.faq: expected a list")
        faq = []
        for i, item in enumerate(faq_raw):
            if not isinstance(item, Mapping) or not isinstance(item.get("q"), str):
                raise CatalogError(f"shop.faq[{i}]: expected {{q, a}}")
            faq.append(FaqEntry(q=item["q"], a=str(item.get("a", ""))))
        return cls(
            name=str(data.get("name", "")),
            host=str(data.get("host", "")),
            intro=str(data.get("intro", "")),
            live_hours=str(data.get("live_hours", "")),
            shipping=_section(ShippingPolicy, data.get("shipping"), "shop.shipping"),
            returns=_section(ReturnsPolicy, data.get("returns"), "shop.returns"),
            payment=_section(PaymentPolicy, data.get("payment"), "shop.payment"),
            customer_service=_section(CustomerService, data.get("customer_service"), "shop.customer_service"),
            coupon_rules=_section(CouponRules, data.get("coupon_rules"), "shop.coupon_rules"),
            faq=tuple(faq),
        )

    def to_dict(self) -> dict[str, Any]:
        def flat(obj: Any) -> dict[str, Any]:
            return {f.name: jsonable(getattr(obj, f.name)) for f in fields(obj)}

        return {
            "name": self.name,
            "host": self.host,
            "intro": self.intro,
            "live_hours": self.live_hours,
            "shipping": flat(self.shipping),
            "returns": flat(self.returns),
            "payment": flat(self.payment),
            "customer_service": flat(self.customer_service),
            "coupon_rules": flat(self.coupon_rules),
            "faq": [{"q": e.q, "a": e.a} for e in self.faq],
        }
