"""Rooms, live sessions, presence, welcome and questions."""
