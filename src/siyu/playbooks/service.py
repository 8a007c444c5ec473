"""What the API, the CLI and tests call: put a room's playbook document, pause one, read the runs."""

from __future__ import annotations

from typing import Any

from siyu.playbooks.feature import Playbooks, shipped
from siyu.playbooks.model import PlaybookFile, parse_file
from siyu.playbooks.store import PlaybookStore
from siyu.rooms.service import RoomInfo, RoomService
from siyu.rooms.services import RoomServices

SCENARIOS = ("ecommerce", "show", "one_on_one")
"""The shipped scenario templates: 带货直播, 秀场直播, 1V1社交直播 (`siyu room create --template`)."""


async def create_from_template(
    rooms: RoomService, room_id: str, shop_id: str, title: str, template: str, by: str
) -> tuple[RoomInfo, int, PlaybookFile]:
    """Create (or update) a room whose playbooks are a shipped template, with the template's welcome."""
    if template not in SCENARIOS:
        raise LookupError(template)
    source = shipped(template)
    doc = parse_file(source, f"template {template}")
    info = await rooms.create_room(room_id, shop_id, title, doc.welcome)
    version = await PlaybookStore(rooms.db).save(room_id, source, by)
    return info, version, doc


async def put_document(
    services: RoomServices, room_id: str, source: str, by: str
) -> tuple[int, PlaybookFile]:
    """Validate (PlaybookIssue), store as the room's next version, and make every node run it."""
    doc = parse_file(source, f"room {room_id}")
    room = await services.room(room_id)
    feature = room.feature(Playbooks)
    version = await feature.store.save(room_id, source, by)
    feature.changed(version, None, by, reload=False)
    await feature.reload()  # running here before the caller is answered; other nodes follow the event
    return version, doc


async def pause(services: RoomServices, room_id: str, playbook_id: str, paused: bool, by: str) -> int:
    """Pause or resume one playbook on every node (LookupError when the room has no such playbook)."""
    room = await services.room(room_id)
    feature = room.feature(Playbooks)
    if playbook_id not in feature.engine.playbooks:
        raise LookupError(playbook_id)
    store: PlaybookStore = feature.store
    if await store.get(room_id) is None:  # the default document: store it so the pause has a row
        await store.save(room_id, feature.source, by)
    version = await store.set_paused(room_id, playbook_id, paused, by)
    feature.engine.pause(playbook_id, paused)
    feature.changed(version, None, by, reload=False)
    await feature.reload()
    return version


async def overview(services: RoomServices, room_id: str) -> dict[str, Any]:
    room = await services.room(room_id)
    feature = room.feature(Playbooks)
    problem = feature.problem
    session = room.session.id if room.session else None
    exposed = await feature.store.exposures(room_id, session) if session else {}
    playbooks = feature.summary()
    for p in playbooks:  # the split room-wide (every node's exposures, from the log), not this node's
        if p["experiment"] is not None:
            p["experiment"]["exposed"] = exposed
    return {
        "room_id": room_id,
        "version": feature.version,
        "source": feature.source,
        "playbooks": playbooks,
        "traces": [t.wire() for t in list(feature.engine.traces)[-50:]],
        "problem": None if problem is None else {"message": str(problem), "errors": problem.errors},
    }
