"""The long-connection transport: wire protocol, router, gateway, connections, fan-out, brokers.

It knows no room feature: features register their client messages with the Router (rooms/feature.py).
"""

from siyu.realtime.broker import Broker, MemoryBroker
from siyu.realtime.fanout import FanoutStats, Priority, RoomChannel
from siyu.realtime.protocol import ClientMessage, RoomMessage, ServerMessage, UserRef
from siyu.realtime.router import Route, Router

__all__ = [
    "Broker",
    "ClientMessage",
    "FanoutStats",
    "MemoryBroker",
    "Priority",
    "RoomChannel",
    "RoomMessage",
    "Route",
    "Router",
    "ServerMessage",
    "UserRef",
]
