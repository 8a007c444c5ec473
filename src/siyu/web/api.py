"""HTTP API (FastAPI): health, readiness, tokens, rooms, live sessions, questions, welcome templates, pages.

Every route checks who calls it before it reads the body (`siyu.web.guards`, `siyu.web.strict`), every
body is strict JSON validated by the models of `siyu.web.models`, and every error is the envelope of
`siyu.web.errors` with a code listed in docs/protocol.md section 8.
"""

import re
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Path, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from siyu import __version__
from siyu.auth import AuthError, Claims, Role
from siyu.playbooks.feature import Playbooks
from siyu.playbooks.service import create_from_template
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import RoomMessage, message_types
from siyu.rooms.features import Products, Questions, Reactions
from siyu.rooms.gifts import EFFECT_TIER, GIFTS, gift_dict
from siyu.rooms.welcome import WelcomeRenderer, WelcomeTemplateError, compile_template
from siyu.web.assistant_api import add_assistant_routes
from siyu.web.errors import ApiError, install_error_handlers, responses
from siyu.web.guards import Requirements
from siyu.web.interactions_api import add_interaction_routes
from siyu.web.luckybag_api import add_luckybag_routes
from siyu.web.models import (
    ID_PATTERN,
    CatalogDocument,
    RoomCreate,
    SessionStart,
    TemplateUpdate,
    TokenPublic,
    TokenRequest,
)
from siyu.web.orders_api import add_order_routes
from siyu.web.playbooks_api import add_playbook_routes
from siyu.web.security import SecurityHeaders, page_policy
from siyu.web.strict import StrictRoute
from siyu.web.wecom_api import add_wecom_routes

if TYPE_CHECKING:
    from siyu.app import Node

__all__ = ["ApiError", "create_api"]

STATIC_DIR = resources.files("siyu.web").joinpath("static")
_ROOM_ID = re.compile(ID_PATTERN)


# No `from __future__ import annotations` here: FastAPI resolves the dependency aliases defined inside
# create_api from the evaluated annotations.
def create_api(node: "Node") -> FastAPI:
    app = FastAPI(title="siyu", version=__version__, description="Live-room interaction layer")
    app.router.route_class = StrictRoute
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    require = Requirements(node.signer)
    Operator = Annotated[Claims, Depends(require.operator)]
    Staff = Annotated[Claims, Depends(require.staff)]
    AnyStaff = Annotated[Claims, Depends(require.any_staff)]

    async def live_room(room_id: str) -> Any:
        """The room (loaded on first use), or 404 `room_not_found`; an id no room can have never reaches
        the database."""
        room = await node.registry.get(room_id) if _ROOM_ID.fullmatch(room_id) else None
        if room is None:
            raise ApiError(404, "room_not_found", f"no room {room_id}")
        return room

    add_assistant_routes(app, live_room, Staff)
    add_order_routes(app, node, live_room)
    add_luckybag_routes(app, live_room)
    add_interaction_routes(app, live_room, Staff, AnyStaff, node.rooms.live_rooms)
    add_playbook_routes(app, node, live_room, Staff)
    add_wecom_routes(app, node)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """The process answers (liveness). Whether it serves rooms yet is /readyz."""
        return {"status": "ok", "version": __version__, "ws_port": node.gateway.port}

    @app.get("/readyz", responses=responses(503))
    async def readyz() -> dict[str, Any]:
        """200 once the node serves rooms: migrations done, broker started, gateway listening, and the demo
        room (if any) loaded with its session live; 503 `not_ready` before that and while stopping."""
        if not node.ready:
            raise ApiError(503, "not_ready", "the node is starting or stopping", {"Retry-After": "1"})
        return {"status": "ready", "node": node.broker.node_id, "ws_port": node.gateway.port}

    @app.get("/api/metrics")
    async def metrics() -> dict[str, Any]:
        """Fan-out counters of this node (logical deliveries, frames, sampled and dropped messages)."""
        return {
            **node.fanout_stats.as_dict(),
            "connections": len(node.gateway.connections),
            "rooms": len(node.registry.all()),
            "broker": type(node.broker).__name__,
            "broker_healthy": node.broker.healthy,
            "node": node.broker.node_id,
        }

    @app.get("/api/protocol")
    async def protocol() -> dict[str, Any]:
        """The protocol catalogue pages and clients load instead of copying it: message types, error texts,
        close codes, gifts (all from the definitions the server runs)."""
        return {
            "protocol": wire.PROTOCOL_VERSION,
            "room_types": message_types(RoomMessage),
            "client_types": node.router.types,
            "errors": wire.ERROR_TEXT,
            "server_text_codes": list(wire.SERVER_TEXT_CODES),
            "close_codes": {
                str(code): {"name": name, "text": text, "fatal": fatal}
                for code, (name, text, fatal) in wire.CLOSE_TEXT.items()
            },
            "gifts": [gift_dict(g) for g in GIFTS.values()],
            "limits": {
                "max_frame_bytes": node.settings.limits.max_frame_bytes,
                "max_comment_chars": node.settings.limits.max_comment_chars,
            },
        }

    @app.get("/api/gateway")
    async def gateway_info() -> dict[str, Any]:
        """Where pages and clients open the room WebSocket."""
        return {"ws_port": node.gateway.port, "ws_path": "/ws/rooms/{room_id}", "protocol": 1}

    @app.post("/api/tokens", response_model=TokenPublic, responses=responses(400, 401, 403, 413, 422))
    async def issue_token(body: TokenRequest, _c: Operator) -> TokenPublic:
        """A signed token for a room, a user and a role (operator only)."""
        try:
            token = node.signer.issue(
                room=body.room, user=body.user, role=body.role, nickname=body.nickname, level=body.level,
                ttl_s=body.ttl_s,
            )  # fmt: skip
        except AuthError as exc:  # the claim rules shared with the join (siyu.auth.check_claims)
            raise ApiError(422, exc.code, str(exc)) from exc
        page = None
        if body.role is Role.VIEWER:
            page = f"{node.http_url}/room/{body.room}#token={token}"
        elif body.role in (Role.HOST, Role.ASSISTANT):
            page = f"{node.http_url}/host/{body.room}#token={token}"
        return TokenPublic(token=token, ws_url=f"{node.ws_url(body.room)}?token={token}", page_url=page)

    @app.put("/api/shops/{shop_id}/catalog", responses=responses(400, 401, 403, 413, 422))
    async def load_catalog(
        shop_id: Annotated[str, Path(pattern=ID_PATTERN)], body: CatalogDocument, _c: Operator
    ) -> dict[str, Any]:
        """Create or refresh a shop and its products (the format of the shipped demo catalog). `assistant`
        says whether the room assistant can answer from it (else `problem` says why; rooms still work)."""
        from siyu.catalog import Catalog, CatalogError
        from siyu.catalog.gifts import parse_gifts

        doc = body.model_dump()
        try:
            parse_gifts(doc.get("gifts"), ())
        except CatalogError as exc:  # the rooms would refuse gifts they show: not stored
            raise ApiError(422, "catalog.gifts", str(exc)) from exc
        count = await node.rooms.load_catalog(shop_id, doc)
        try:
            Catalog.from_document(doc)
        except CatalogError as exc:
            return {"shop_id": shop_id, "products": count, "assistant": False, "problem": str(exc)}
        return {"shop_id": shop_id, "products": count, "assistant": True}

    @app.get("/api/rooms", responses=responses(401, 403))
    async def list_rooms(_c: Operator) -> list[dict[str, Any]]:
        return await node.rooms.list_rooms()

    @app.post("/api/rooms", status_code=201, responses=responses(400, 401, 403, 404, 413, 422))
    async def create_room(body: RoomCreate, _c: Operator) -> dict[str, Any]:
        """Create (or update) a room on an existing shop."""
        if body.welcome_template:
            try:
                compile_template(body.welcome_template)
            except WelcomeTemplateError as exc:
                raise ApiError(422, "template.invalid", str(exc)) from exc
        if "shop" not in await node.rooms.catalog_document(body.shop_id):
            raise ApiError(404, "shop_not_found", f"no shop {body.shop_id}: PUT its catalog first")
        try:
            version = None
            if body.template is not None:  # the scenario's playbooks (and its welcome)
                info, version, _doc = await create_from_template(
                    node.rooms, body.id, body.shop_id, body.title, body.template, _c.user
                )
                if body.welcome_template:
                    welcome = body.welcome_template
                    info = await node.rooms.create_room(body.id, body.shop_id, body.title, welcome)
                loaded = node.registry.loaded(body.id)
                if loaded is not None:  # a live room runs the new document at once, on every node
                    loaded.members.welcome = WelcomeRenderer(info.welcome_template)
                    loaded.feature(Playbooks).changed(version, None, _c.user)
            else:
                info = await node.rooms.create_room(body.id, body.shop_id, body.title, body.welcome_template)
        except Exception as exc:
            raise ApiError(422, "room.invalid", f"cannot create room: {type(exc).__name__}") from exc
        return {"id": info.id, "shop_id": info.shop_id, "title": info.title, "playbooks_version": version}

    @app.get("/api/rooms/{room_id}", responses=responses(404))
    async def room_state(room_id: str) -> dict[str, Any]:
        """The public room state (no token)."""
        room = await live_room(room_id)
        state: dict[str, Any] = room.state()
        state.pop("type", None)
        state["seq"] = room.channel.published_seq
        return state

    @app.get("/api/rooms/{room_id}/products", responses=responses(404))
    async def room_products(room_id: str) -> dict[str, Any]:
        """The room's products by link number (小黄车): card, colours, sizes, live stock per colour/size and
        `explaining` (the pinned one). Public, like the room state."""
        room = await live_room(room_id)
        return {"items": room.feature(Products).listing()}

    @app.get("/api/rooms/{room_id}/gifts", responses=responses(404))
    async def room_gifts(room_id: str) -> dict[str, Any]:
        """The gifts this room takes (its shop's catalogue, else the default list): what the gift picker
        shows. `effect_tier`: from this tier up a gift has a full-screen effect. Public."""
        room = await live_room(room_id)
        return {"items": room.feature(Reactions).gift_list(), "effect_tier": EFFECT_TIER}

    @app.post("/api/rooms/{room_id}/live", status_code=201, responses=responses(400, 401, 403, 404, 413, 422))
    async def start_live(room_id: str, body: SessionStart, _c: Staff) -> dict[str, Any]:
        """Start a live session (ends the one running, if any)."""
        room = await live_room(room_id)
        session = await room.start_session(body.title)
        return {"session_id": session.id, "title": session.title, "started_at": session.started_at}

    @app.delete("/api/rooms/{room_id}/live", responses=responses(401, 403, 404, 409))
    async def end_live(room_id: str, _c: Staff) -> dict[str, Any]:
        room = await live_room(room_id)
        session = await room.end_session()
        if session is None:
            raise ApiError(409, "room.not_live", "no live session to end")
        return {"session_id": session.id}

    @app.get("/api/rooms/{room_id}/questions", responses=responses(401, 403, 404))
    async def questions(room_id: str, _c: Staff) -> list[dict[str, Any]]:
        """The question panel of this node (what the host console shows)."""
        room = await live_room(room_id)
        items: list[dict[str, Any]] = room.feature(Questions).board.snapshot()
        return items

    @app.put("/api/rooms/{room_id}/welcome-template", responses=responses(400, 401, 403, 404, 413, 422))
    async def set_template(room_id: str, body: TemplateUpdate, _c: Staff) -> dict[str, Any]:
        """The room's personal welcome line (Jinja, sandboxed); empty or null: the default."""
        room = await live_room(room_id)
        if body.template:
            try:
                compile_template(body.template)
            except WelcomeTemplateError as exc:
                raise ApiError(422, "template.invalid", str(exc)) from exc
        await node.rooms.set_room_fields(room_id, welcome_template=body.template)
        room.members.welcome = WelcomeRenderer(body.template)
        return {"room": room_id, "template": room.members.welcome.source}

    def page(request: Request, name: str) -> HTMLResponse:
        html = STATIC_DIR.joinpath(name).read_text(encoding="utf-8")
        return HTMLResponse(
            html, headers={"Content-Security-Policy": page_policy(request, node.gateway.port)}
        )

    @app.get("/room/{room_id}", response_class=HTMLResponse, include_in_schema=False)
    async def viewer_page(room_id: str, request: Request) -> HTMLResponse:
        return page(request, "viewer.html")

    @app.get("/host/{room_id}", response_class=HTMLResponse, include_in_schema=False)
    async def host_page(room_id: str, request: Request) -> HTMLResponse:
        return page(request, "host.html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(str(STATIC_DIR.joinpath("favicon.svg")), media_type="image/svg+xml")

    return app
