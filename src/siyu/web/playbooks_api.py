"""HTTP routes of a room's playbooks: read, upload (validated, with error paths), pause, the run traces, the
JSON Schema (docs/protocol.md section 8, "Playbooks")."""

# No `from __future__ import annotations`: FastAPI resolves the dependency aliases at runtime.
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from siyu.auth import Claims, Role
from siyu.playbooks import service
from siyu.playbooks.feature import Playbooks
from siyu.playbooks.model import PlaybookIssue, json_schema
from siyu.web.errors import ApiError, responses
from siyu.web.models import ID_PATTERN

MAX_SOURCE = 256 * 1024


class PlaybookSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: StrictStr = Field(max_length=MAX_SOURCE, description="the playbook document, YAML (or JSON)")


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paused: StrictBool


class PutResult(BaseModel):
    version: int
    playbooks: list[str]


def _writer(claims: Claims) -> str:
    if claims.role not in (Role.HOST, Role.OPERATOR):
        raise ApiError(403, "auth.forbidden_role", "host or operator role required to change playbooks")
    return claims.user


def add_playbook_routes(app: FastAPI, node: Any, live_room: Any, staff: Any) -> None:
    PlaybookId = Annotated[str, Path(pattern=ID_PATTERN, max_length=40)]

    @app.get("/api/playbooks/schema")
    async def playbook_schema() -> dict[str, Any]:
        """The JSON Schema of a playbook document (every trigger, condition and action type), for editors."""
        return json_schema()

    @app.get("/api/rooms/{room_id}/playbooks", responses=responses(401, 403, 404))
    async def room_playbooks(room_id: str, _c: staff) -> dict[str, Any]:
        """The room's running document (`version`, `source`; version 0 is the shipped default), each playbook
        with its pause switch, run counts, last run and experiment split, the latest traces, and `problem`
        when the stored version does not validate (the previous one still runs)."""
        await live_room(room_id)
        return await service.overview(node.services, room_id)

    @app.put(
        "/api/rooms/{room_id}/playbooks",
        response_model=PutResult,
        responses=responses(400, 401, 403, 404, 413, 422),
    )
    async def put_playbooks(room_id: str, body: PlaybookSource, claims: staff) -> Any:
        """Validate and run a new document on every node of the room. 422 `playbook.invalid` lists each
        error's `path` in the document, `message` and `type` (its code); the running version stays."""
        by = _writer(claims)
        await live_room(room_id)
        try:
            version, doc = await service.put_document(node.services, room_id, body.source, by)
        except PlaybookIssue as exc:
            return JSONResponse(
                status_code=422,
                content={
                    "error": {
                        "code": "playbook.invalid",
                        "message": str(exc)[:500],
                        "errors": exc.errors[:50],
                    }
                },
            )
        return PutResult(version=version, playbooks=[p.id for p in doc.playbooks])

    @app.post(
        "/api/rooms/{room_id}/playbooks/{playbook_id}/pause",
        responses=responses(400, 401, 403, 404, 413, 422),
    )
    async def pause_playbook(
        room_id: str, playbook_id: PlaybookId, body: PauseBody, claims: staff
    ) -> dict[str, Any]:
        """Pause (`{"paused": true}`) or resume one playbook on every node; 404 `playbook.not_found`."""
        by = _writer(claims)
        await live_room(room_id)
        try:
            version = await service.pause(node.services, room_id, playbook_id, body.paused, by)
        except LookupError as exc:
            raise ApiError(404, "playbook.not_found", f"no playbook {playbook_id} in this room") from exc
        return {"version": version, "playbook": playbook_id, "paused": body.paused}

    @app.get("/api/rooms/{room_id}/playbooks/runs", responses=responses(401, 403, 404, 422))
    async def playbook_runs(
        room_id: str,
        _c: staff,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        playbook: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=40)] = None,
        user: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)] = None,
        before: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    ) -> dict[str, Any]:
        """Run traces, newest first, from every node: trigger (type, why, event), each condition's verdict,
        each action (status ok/failed/refused, reading, code, ms), the Context ids. `before` pages by
        `started_at`."""
        room = await live_room(room_id)
        store = room.feature(Playbooks).store
        runs = await store.runs(room_id, limit=limit, playbook_id=playbook, user_id=user, before=before)
        return {"runs": runs}
