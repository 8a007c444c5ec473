"""Private-domain invites (私域邀请), the building blocks of the playbook action `invite_private_domain`.

A playbook invites a viewer to the shop's private domain through one channel:

- `wecom_contact`: add the shop's WeCom staff as a contact (加企业微信): a WeCom "contact me" QR code;
- `community_group`: join the shop's WeCom customer group (加入专属社群): a WeCom "join group" QR code;
- `mini_program`: open the shop's mini-program page: a QR code of the configured URL with `?state=`;
- `follow_notify`: follow the host for the live-start notification (关注开播提醒): no QR, a call to action.

Each invite has a `state` (`make_state`): at most 30 characters (WeCom's limit), derived from room,
session, playbook and user. WeCom hands it back in the contact-added callback, which finds the invite row
by it, checks that the row's ids hash to it, marks the invite accepted once and logs `invite.accepted`
in the invite's room (`accept_contact`). docs/invites.md documents all of it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import segno

from siyu.config import WeComSettings
from siyu.events import Context, Event, now_ms, payload
from siyu.store.db import Database

from .invite_store import InviteRow, InviteStore
from .wecom import WeComApiError, WeComClient, WeComError, WeComUnreachable

__all__ = [
    "INVITE_ERRORS",
    "STATE_MAX",
    "Channel",
    "InviteAccepted",
    "InviteError",
    "InviteOffer",
    "InviteService",
    "InviteStore",
    "InviteUnavailable",
    "WeComApiError",
    "WeComError",
    "WeComUnreachable",
    "accept_contact",
    "invite_text",
    "make_state",
    "qr_data_uri",
    "state_matches",
]

STATE_MAX = 30  # WeCom's limit on `state` (add_contact_way, add_join_way)
STATE_PREFIX = "sy"
STATE_PART = 7  # base32 characters per id: 2 + 4 * 7 = 30
STATE_PATTERN = re.compile(r"[0-9a-zA-Z_-]{1,30}")
MAX_INCENTIVE = 50
_ID = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,64}")


class Channel(StrEnum):
    WECOM_CONTACT = "wecom_contact"
    COMMUNITY_GROUP = "community_group"
    MINI_PROGRAM = "mini_program"
    FOLLOW_NOTIFY = "follow_notify"


# what the viewer reads (zh-CN); the incentive follows after a comma
_CALL = {
    Channel.WECOM_CONTACT: "扫码添加企业微信",
    Channel.COMMUNITY_GROUP: "扫码加入专属社群",
    Channel.MINI_PROGRAM: "扫码打开小程序",
    Channel.FOLLOW_NOTIFY: "点个关注，下次开播第一时间提醒你",
}
_DEFAULT_BENEFIT = {
    Channel.WECOM_CONTACT: "一对一专属服务",
    Channel.COMMUNITY_GROUP: "群内专享福利",
    Channel.MINI_PROGRAM: "专属福利等你领",
    Channel.FOLLOW_NOTIFY: "",
}


class InviteError(Exception):
    """An invite that cannot be issued; `code` is documented in docs/invites.md."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message or code


class InviteUnavailable(InviteError):
    """The channel is not configured on this server (`invite.not_configured`)."""


# what `InviteService.issue` may raise; each has `.code` (WeComApiError also `.errcode`)
INVITE_ERRORS: tuple[type[Exception], ...] = (InviteError, WeComError)


@payload
@dataclass(frozen=True, slots=True)
class InviteAccepted:
    """A viewer came into the private domain through an invite (WeCom's contact-added callback)."""

    TYPE: ClassVar[str] = "invite.accepted"
    state: str
    channel: str
    playbook_id: str
    external_id: str  # the customer's ExternalUserID at the corp
    staff_user: str  # the WeCom UserID that was added ("" if WeCom did not say)
    change: str  # add_external_contact | add_half_external_contact
    incentive: str
    issued_at: int  # when the invite was issued (ms): time to accept = event ts - issued_at


@dataclass(frozen=True, slots=True)
class InviteOffer:
    """What the action shows the viewer: the text, and the QR code (an SVG data URI) of `url`."""

    state: str
    channel: Channel
    url: str | None  # what the QR code encodes; None for follow_notify
    qr: str | None  # data:image/svg+xml… ; None for follow_notify
    text: str  # zh-CN
    incentive: str


def _part(value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:STATE_PART]


def make_state(room_id: str, session_id: str, playbook_id: str, user_id: str) -> str:
    """The invite's WeCom `state`: "sy" + 7 base32 characters of the SHA-256 of each id (30 characters of
    [a-z2-7]). Deterministic, so the same invite always has the same state on every node."""
    return STATE_PREFIX + "".join(_part(v) for v in (room_id, session_id, playbook_id, user_id))


def state_matches(state: str, room_id: str, session_id: str, playbook_id: str, user_id: str) -> bool:
    """Whether `state` is the state of these ids (attribution checks a row it found by its state)."""
    return make_state(room_id, session_id, playbook_id, user_id) == state


@lru_cache(maxsize=1024)
def qr_data_uri(url: str) -> str:
    """A QR code of `url` as an SVG data URI. Always a full QR code (never Micro QR: WeChat cannot read
    it), error correction at least M, a 4-module quiet zone as the standard asks."""
    return segno.make_qr(url, error="m").svg_data_uri(scale=4, border=4)


def invite_text(channel: Channel, incentive: str) -> str:
    """The zh-CN line shown with the invite."""
    benefit = incentive or _DEFAULT_BENEFIT[channel]
    return f"{_CALL[channel]}，{benefit}" if benefit else _CALL[channel]


def with_state(url: str, state: str) -> str:
    """`url` with `state=<state>` in its query (replacing one it had)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "state"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("state", state)])))


class InviteService:
    """Issues invites: one row per (room, session, playbook, user), a WeCom call only for a new one.

    `issue` is idempotent: the same ids and channel answer with the stored invite and call nothing; two
    concurrent calls on a node share one issue; two nodes keep the first row. Build one per node:
    `InviteService(node.db, node.settings.wecom)`, and `await service.aclose()` when the node stops.
    """

    def __init__(
        self,
        db: Database,
        settings: WeComSettings,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], int] = now_ms,
    ) -> None:
        self.store = InviteStore(db)
        self._settings = settings
        self.wecom = WeComClient(settings, http=http, clock=clock) if settings.api_on else None
        self._now = now
        self._pending: dict[str, asyncio.Task[InviteRow]] = {}

    async def aclose(self) -> None:
        if self.wecom is not None:
            await self.wecom.aclose()

    async def issue(
        self,
        room_id: str,
        session_id: str,
        playbook_id: str,
        user_id: str,
        channel: Channel | str,
        incentive: str = "",
    ) -> InviteOffer:
        """The viewer's invite through `channel`, made once. Raises `InviteError` (`invite.invalid`,
        `invite.not_configured`, `invite.state_taken`: this playbook already invited this viewer in this
        session through another channel) or `WeComError` (`wecom.api_error` with `.errcode`,
        `wecom.unreachable`)."""
        try:
            ch = Channel(channel)
        except ValueError:
            raise InviteError("invite.invalid", f"unknown channel {channel!r}") from None
        for name, value in (("room_id", room_id), ("session_id", session_id),
                            ("playbook_id", playbook_id), ("user_id", user_id)):  # fmt: skip
            if not _ID.fullmatch(value):
                raise InviteError("invite.invalid", f"{name} must be 1..64 characters without control ones")
        if len(incentive) > MAX_INCENTIVE or not _ID.fullmatch(incentive or "x"):
            raise InviteError("invite.invalid", f"incentive: at most {MAX_INCENTIVE} characters of text")
        self._check_configured(ch)
        state = make_state(room_id, session_id, playbook_id, user_id)
        task = self._pending.get(state)
        if task is None:
            row = InviteRow(state, room_id, session_id, playbook_id, user_id, ch.value, incentive, "", 0)
            task = asyncio.create_task(self._issue_once(row, ch), name=f"invite-{state}")
            self._pending[state] = task
            task.add_done_callback(self._done)
        stored = await asyncio.shield(task)
        if stored.channel != ch.value:
            raise InviteError("invite.state_taken", f"this invite was issued through {stored.channel}")
        return offer_of(stored)

    def _done(self, task: asyncio.Task[InviteRow]) -> None:
        self._pending.pop(task.get_name().removeprefix("invite-"), None)
        if not task.cancelled():
            task.exception()  # retrieved: a caller that was cancelled meanwhile never awaits it

    def _check_configured(self, ch: Channel) -> None:
        s = self._settings
        if ch is Channel.WECOM_CONTACT and not (s.api_on and s.contact_users):
            raise InviteUnavailable("invite.not_configured", "[wecom] corp_id, secret and contact_users")
        if ch is Channel.COMMUNITY_GROUP and not (s.api_on and s.group_chat_ids):
            raise InviteUnavailable("invite.not_configured", "[wecom] corp_id, secret and group_chat_ids")
        if ch is Channel.MINI_PROGRAM and not s.mini_program_url:
            raise InviteUnavailable("invite.not_configured", "[wecom] mini_program_url")

    async def _issue_once(self, row: InviteRow, ch: Channel) -> InviteRow:
        stored = await self.store.get(row.state)
        if stored is not None:
            return stored
        remark = f"直播 {row.room_id}"
        url, config_id = "", None
        if ch is Channel.WECOM_CONTACT:
            assert self.wecom is not None
            config_id, url = await self.wecom.add_contact_way(self._settings.contact_users, row.state, remark)
        elif ch is Channel.COMMUNITY_GROUP:
            assert self.wecom is not None
            config_id = await self.wecom.add_join_way(self._settings.group_chat_ids, row.state, remark)
            url = await self.wecom.get_join_way(config_id)
        elif ch is Channel.MINI_PROGRAM:
            url = with_state(self._settings.mini_program_url, row.state)
        made = InviteRow(row.state, row.room_id, row.session_id, row.playbook_id, row.user_id, row.channel,
                         row.incentive, url, self._now(), config_id)  # fmt: skip
        return await self.store.add(made)


def offer_of(row: InviteRow) -> InviteOffer:
    """The offer a stored invite shows (the QR code is made from its URL: nothing else is stored)."""
    ch = Channel(row.channel)
    url = row.url or None
    return InviteOffer(row.state, ch, url, qr_data_uri(url) if url else None, invite_text(ch, row.incentive),
                       row.incentive)  # fmt: skip


async def accept_contact(
    store: InviteStore, state: str, external_id: str, *, staff_user: str = "", change: str = "",
    now: Callable[[], int] = now_ms,
) -> Event[InviteAccepted] | None:  # fmt: skip
    """Mark the invite of `state` accepted by `external_id` (the first customer only) and return the
    `invite.accepted` event to log in its room; None when the state is not an invite of ours (or its row
    does not hash to it) or another customer accepted it first.

    The event's cid is `invite:<state>`, so logging it again (WeCom re-sends a callback it got no answer
    to, e.g. after a crash between the update and the log) is a duplicate the log skips."""
    if not STATE_PATTERN.fullmatch(state):
        return None
    row = await store.get(state)
    if row is None or not state_matches(state, row.room_id, row.session_id, row.playbook_id, row.user_id):
        return None
    row = await store.accept(state, external_id, now())
    if row is None or row.external_id != external_id or row.accepted_at is None:
        return None
    accepted = InviteAccepted(state, row.channel, row.playbook_id, external_id, staff_user, change,
                              row.incentive, row.created_at)  # fmt: skip
    return Event(room_id=row.room_id, user_id=row.user_id, payload=accepted, session_id=row.session_id,
                 context=Context(actor="wecom"), ts=row.accepted_at, cid=f"invite:{state}")  # fmt: skip
