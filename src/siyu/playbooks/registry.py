"""Importing this module registers every trigger, condition and action type (the explicit tables are
`model.TRIGGERS`, `model.CONDITIONS`, `model.ACTIONS`)."""

from siyu.playbooks import actions, conditions, triggers

__all__ = ["actions", "conditions", "triggers"]
