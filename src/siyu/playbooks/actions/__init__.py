"""Actions: the explicit table is `siyu.playbooks.model.ACTIONS` (type -> model), filled by these modules."""

from siyu.playbooks.actions import flow, interactions, messages, people

__all__ = ["flow", "interactions", "messages", "people"]
