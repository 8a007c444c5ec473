"""Lucky bags (福袋, issue 12): the `LuckyBags` room feature, its draw and its audit.

`luckybag_start` (staff) opens the room's bag with a prize, a number of winners, a countdown and an entry
condition (a 口令 to send, minutes watched, a follow, the fan club); the room is told `sha256(seed)` of a
secret seed kept in the `lucky_bags` table. Viewers enter once each (`luckybag_join`, or a comment equal to
the 口令): the log's once-key keeps one entry per viewer and bag across nodes. At the end (or early, by
staff) one node draws: the winners are a deterministic function of the entries and the seed (`draw.py`),
the result reveals the seed, and anyone can check it (`siyu luckybag verify`, the audit endpoint).
"""

from siyu.interactions.luckybag.conditions import FanClubCheck, FanClubMembers
from siyu.interactions.luckybag.draw import canonical, draw, entries_hash, seed_hash, verify
from siyu.interactions.luckybag.feature import LuckyBags
from siyu.interactions.luckybag.model import LuckyBagDrawIn, LuckyBagJoinIn, LuckyBagStartIn

__all__ = [
    "FanClubCheck",
    "FanClubMembers",
    "LuckyBagDrawIn",
    "LuckyBagJoinIn",
    "LuckyBagStartIn",
    "LuckyBags",
    "canonical",
    "draw",
    "entries_hash",
    "seed_hash",
    "verify",
]
