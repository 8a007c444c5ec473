"""Live sessions of a room (functions of Room): start, end, follow another node's start or end from the
stream, and reset what a new session starts from zero."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siyu.events import Event, SessionEnded, SessionStarted
from siyu.rooms.messages import Live
from siyu.rooms.service import SessionInfo

if TYPE_CHECKING:
    from siyu.rooms.room import Room


async def start(room: Room, title: str) -> SessionInfo:
    room.session = await room.service.start_session(room.info.id, title)
    reset(room, room.session.id)
    message = Live(live=True, title=title, session_id=room.session.id)
    await room.record(None, None, room.event_for(None, SessionStarted(title)), message)
    return room.session


async def end(room: Room) -> SessionInfo | None:
    session = room.session
    if session is None:
        return None
    ended = await room.service.end_session(session.id)
    event = room.event_for(None, SessionEnded(ended - session.started_at))
    await room.record(None, None, event, Live(live=False, session_id=session.id))
    if room.session is not None:  # (the stream has usually ended it already)
        room.session = None
        reset(room, None)
    return session


def follow(room: Room, event: Event[Any]) -> None:
    """Another node started or ended a session (the stream's session events)."""
    if isinstance(event.payload, SessionEnded):
        if room.session is not None:
            room.session = None
            reset(room, None)
    elif event.session_id and (room.session is None or room.session.id != event.session_id):
        room.session = SessionInfo(event.session_id, room.info.id, event.payload.title, event.ts, None)
        reset(room, event.session_id)


def reset(room: Room, session_id: str | None) -> None:
    room.counters.new_session()
    for feature in room.features.values():
        feature.on_session(session_id)
