"""Persistence: engine, tables, migrations and the durable event log."""

from siyu.store.db import Database
from siyu.store.eventlog import EventLog, StoreError

__all__ = ["Database", "EventLog", "StoreError"]
