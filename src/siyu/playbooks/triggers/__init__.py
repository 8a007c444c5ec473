"""Triggers: each module defines its models (registered with `register_trigger`) and their `attach`.

`attach(scope, fire)` subscribes to what the trigger needs and returns the function that undoes it. Timer
triggers give a `Fire.key`: the node claims it before running, so each fires once per viewer (or room) and
session across nodes.
"""

from siyu.playbooks.triggers import activity, schedule, viewer

__all__ = ["activity", "schedule", "viewer"]
