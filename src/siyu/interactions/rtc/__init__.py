"""Calls and the co-host mic over WebRTC (issue 14): the features `Calls` and `Mic` (docs/rtc.md)."""

from siyu.interactions.rtc.calls import Calls
from siyu.interactions.rtc.mic import Mic

__all__ = ["Calls", "Mic"]
