"""Live rooms of this node, loaded on first use."""

from __future__ import annotations

import asyncio

from siyu.rooms.room import Room, RoomDeps
from siyu.rooms.service import NotFound


class RoomRegistry:
    def __init__(self, deps: RoomDeps) -> None:
        self._deps = deps
        self._rooms: dict[str, Room] = {}
        self._lock = asyncio.Lock()

    def loaded(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    async def get(self, room_id: str) -> Room | None:
        """The live room, loading it on first use; None if no such room exists."""
        room = self._rooms.get(room_id)
        if room is not None:
            return room
        async with self._lock:
            room = self._rooms.get(room_id)
            if room is None:
                try:
                    room = await Room.load(room_id, self._deps)
                except NotFound:
                    return None
                room.lookup = self.get
                room.start()
                self._rooms[room_id] = room
        return room

    def all(self) -> list[Room]:
        return list(self._rooms.values())

    async def stop(self) -> None:
        for room in self._rooms.values():
            await room.stop()
        self._rooms.clear()
