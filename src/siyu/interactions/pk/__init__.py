"""PK battles between rooms (连麦PK, issue 14): the `Pk` room feature (docs/protocol.md section 11)."""

from siyu.interactions.pk.feature import Pk
from siyu.interactions.pk.model import PkAnswerIn, PkCancelIn, PkEndIn, PkInviteIn

__all__ = ["Pk", "PkAnswerIn", "PkCancelIn", "PkEndIn", "PkInviteIn"]
