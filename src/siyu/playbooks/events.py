"""The playbooks' events (in the log, so analytics and recovery can be rebuilt from them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from siyu.events import payload


@payload
@dataclass(frozen=True, slots=True)
class PlaybooksChanged:
    """The room's playbook document (or a pause) changed: every node reloads it from the database."""

    TYPE: ClassVar[str] = "playbooks.changed"
    version: int
    by: str


@payload
@dataclass(frozen=True, slots=True)
class ExperimentExposed:
    """A viewer met experiment `experiment` in arm `variant` ("holdout": no treatment): uplift's input."""

    TYPE: ClassVar[str] = "experiment.exposed"
    experiment: str
    variant: str
    playbook: str


@payload
@dataclass(frozen=True, slots=True)
class PointsAdded:
    TYPE: ClassVar[str] = "points.added"
    points: int
    reason: str


@payload
@dataclass(frozen=True, slots=True)
class ViewerTagged:
    TYPE: ClassVar[str] = "viewer.tagged"
    tag: str


@payload
@dataclass(frozen=True, slots=True)
class CrmHandOff:
    """The viewer is handed to a follow-up journey (the CRM's input)."""

    TYPE: ClassVar[str] = "crm.handoff"
    journey: str
    note: str
    stage: str | None


@payload
@dataclass(frozen=True, slots=True)
class CardShown:
    """A personal card (a benefit or a product) shown to one viewer by a playbook."""

    TYPE: ClassVar[str] = "card.shown"
    product_id: str | None
    title: str
    benefit: str | None
    seconds: int


@payload
@dataclass(frozen=True, slots=True)
class InviteSent:
    """A private-domain invite shown to one viewer (`state` attributes the contact it brings)."""

    TYPE: ClassVar[str] = "invite.sent"
    channel: str
    state: str
    incentive: str
    playbook: str


RECORDED: dict[str, Any] = {
    "experiment.exposed": ExperimentExposed,
    "points.added": PointsAdded,
    "viewer.tagged": ViewerTagged,
    "crm.handoff": CrmHandOff,
    "card.shown": CardShown,
    "invite.sent": InviteSent,
}
