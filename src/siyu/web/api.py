"""HTTP API (FastAPI): health, tokens, rooms, live sessions, questions, welcome templates, pages."""

from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from siyu import __version__
from siyu.auth import AuthError, Claims, Role
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import RoomMessage, message_types
from siyu.rooms.features import Questions
from siyu.rooms.gifts import GIFTS
from siyu.rooms.welcome import WelcomeRenderer, WelcomeTemplateError, compile_template
from siyu.web.assistant_api import add_assistant_routes

if TYPE_CHECKING:
    from siyu.app import Node

STATIC_DIR = resources.files("siyu.web").joinpath("static")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class TokenRequest(BaseModel):
    room: str = Field(min_length=1, max_length=64)
    user: str = Field(min_length=1, max_length=64)
    role: Role = Role.VIEWER
    nickname: str | None = Field(None, max_length=32)
    level: int = Field(0, ge=0, le=100)
    ttl_s: int | None = Field(None, ge=60, le=30 * 24 * 3600)


class TokenPublic(BaseModel):
    token: str
    ws_url: str
    page_url: str | None


class ShopDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1, max_length=200)
    host: str = Field("", max_length=100)


class ProductDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    short_name: str | None = Field(None, max_length=100)
    link_no: int | None = None
    price: int = Field(ge=0)
    live_price: int | None = Field(None, ge=0)


class CatalogDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    shop: ShopDocument
    products: list[ProductDocument] = Field(default_factory=list, max_length=5000)


class RoomCreate(BaseModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    shop_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    welcome_template: str | None = Field(None, max_length=2000)


class SessionStart(BaseModel):
    title: str = Field("直播中", min_length=1, max_length=200)


class TemplateUpdate(BaseModel):
    template: str | None = Field(None, max_length=2000)


# No `from __future__ import annotations` here: FastAPI resolves the `Auth` dependency alias
# defined inside create_api from the evaluated annotations.
def create_api(node: "Node") -> FastAPI:
    app = FastAPI(title="siyu", version=__version__, description="Live-room interaction layer")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status)

    def claims(authorization: Annotated[str | None, Header()] = None) -> Claims:
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, "auth.missing_token", "Authorization: Bearer <token> required")
        try:
            return node.signer.verify(authorization.removeprefix("Bearer ").strip())
        except AuthError as exc:
            raise ApiError(401, exc.code, str(exc)) from exc

    Auth = Annotated[Claims, Depends(claims)]

    def need_operator(c: Claims) -> None:
        if c.role is not Role.OPERATOR:
            raise ApiError(403, "auth.forbidden_role", "operator role required")

    def need_staff(c: Claims, room_id: str) -> None:
        if not c.allows_room(room_id):
            raise ApiError(403, "auth.wrong_room", "token is for another room")
        if not c.role.is_staff:
            raise ApiError(403, "auth.forbidden_role", "host, assistant or operator role required")

    async def live_room(room_id: str) -> Any:
        room = await node.registry.get(room_id)
        if room is None:
            raise ApiError(404, "room_not_found", f"no room {room_id}")
        return room

    add_assistant_routes(app, live_room, need_staff, Auth, ApiError)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "ws_port": node.gateway.port}

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
            "gifts": [{"id": g.id, "name": g.name, "coins": g.coins, "icon": g.icon} for g in GIFTS.values()],
            "limits": {
                "max_frame_bytes": node.settings.limits.max_frame_bytes,
                "max_comment_chars": node.settings.limits.max_comment_chars,
            },
        }

    @app.get("/api/gateway")
    async def gateway_info() -> dict[str, Any]:
        """Where pages and clients open the room WebSocket."""
        return {"ws_port": node.gateway.port, "ws_path": "/ws/rooms/{room_id}", "protocol": 1}

    @app.post("/api/tokens", response_model=TokenPublic)
    async def issue_token(body: TokenRequest, c: Auth) -> TokenPublic:
        need_operator(c)
        token = node.signer.issue(
            room=body.room,
            user=body.user,
            role=body.role,
            nickname=body.nickname,
            level=body.level,
            ttl_s=body.ttl_s,
        )
        page = None
        if body.role is Role.VIEWER:
            page = f"{node.http_url}/room/{body.room}#token={token}"
        elif body.role in (Role.HOST, Role.ASSISTANT):
            page = f"{node.http_url}/host/{body.room}#token={token}"
        return TokenPublic(token=token, ws_url=f"{node.ws_url(body.room)}?token={token}", page_url=page)

    @app.put("/api/shops/{shop_id}/catalog")
    async def load_catalog(shop_id: str, body: CatalogDocument, c: Auth) -> dict[str, Any]:
        """Create or refresh a shop and its products (the format of the shipped demo catalog)."""
        need_operator(c)
        count = await node.rooms.load_catalog(shop_id, body.model_dump())
        return {"shop_id": shop_id, "products": count}

    @app.get("/api/rooms")
    async def list_rooms(c: Auth) -> list[dict[str, Any]]:
        need_operator(c)
        return await node.rooms.list_rooms()

    @app.post("/api/rooms", status_code=201)
    async def create_room(body: RoomCreate, c: Auth) -> dict[str, Any]:
        need_operator(c)
        if body.welcome_template:
            try:
                compile_template(body.welcome_template)
            except WelcomeTemplateError as exc:
                raise ApiError(422, "template.invalid", str(exc)) from exc
        try:
            info = await node.rooms.create_room(body.id, body.shop_id, body.title, body.welcome_template)
        except Exception as exc:
            raise ApiError(422, "room.invalid", f"cannot create room: {type(exc).__name__}") from exc
        return {"id": info.id, "shop_id": info.shop_id, "title": info.title}

    @app.get("/api/rooms/{room_id}")
    async def room_state(room_id: str) -> dict[str, Any]:
        room = await live_room(room_id)
        state: dict[str, Any] = room.state()
        state.pop("type", None)
        state["seq"] = room.channel.published_seq
        return state

    @app.post("/api/rooms/{room_id}/live", status_code=201)
    async def start_live(room_id: str, body: SessionStart, c: Auth) -> dict[str, Any]:
        need_staff(c, room_id)
        room = await live_room(room_id)
        session = await room.start_session(body.title)
        return {"session_id": session.id, "title": session.title, "started_at": session.started_at}

    @app.delete("/api/rooms/{room_id}/live")
    async def end_live(room_id: str, c: Auth) -> dict[str, Any]:
        need_staff(c, room_id)
        room = await live_room(room_id)
        session = await room.end_session()
        if session is None:
            raise ApiError(409, "room.not_live", "no live session to end")
        return {"session_id": session.id}

    @app.get("/api/rooms/{room_id}/questions")
    async def questions(room_id: str, c: Auth) -> list[dict[str, Any]]:
        need_staff(c, room_id)
        room = await live_room(room_id)
        items: list[dict[str, Any]] = room.feature(Questions).board.snapshot()
        return items

    @app.put("/api/rooms/{room_id}/welcome-template")
    async def set_template(room_id: str, body: TemplateUpdate, c: Auth) -> dict[str, Any]:
        need_staff(c, room_id)
        room = await live_room(room_id)
        if body.template:
            try:
                compile_template(body.template)
            except WelcomeTemplateError as exc:
                raise ApiError(422, "template.invalid", str(exc)) from exc
        await node.rooms.set_room_fields(room_id, welcome_template=body.template)
        room.members.welcome = WelcomeRenderer(body.template)
        return {"room": room_id, "template": room.members.welcome.source}

    def page(name: str) -> HTMLResponse:
        return HTMLResponse(STATIC_DIR.joinpath(name).read_text(encoding="utf-8"))

    @app.get("/room/{room_id}", response_class=HTMLResponse, include_in_schema=False)
    async def viewer_page(room_id: str) -> HTMLResponse:
        return page("viewer.html")

    @app.get("/host/{room_id}", response_class=HTMLResponse, include_in_schema=False)
    async def host_page(room_id: str) -> HTMLResponse:
        return page("host.html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(str(STATIC_DIR.joinpath("favicon.svg")), media_type="image/svg+xml")

    return app
