"""The playbook document of `siyu bench playbooks` and the open contact-budget rules it runs with."""

from __future__ import annotations

from typing import Any

import yaml

from siyu.bench.playbooks_load import KEYWORD, keyword_playbooks
from siyu.rooms.budget import KINDS, BudgetRules


def bench_document(n: int) -> str:
    """N playbooks: keyword playbooks `kw000…` (comment trigger, a viewer and a room condition, send_private
    quoting the comment) and, for every tenth, one of six others (gift, follow, like count, a comment
    playbook whose condition fails, a regex nobody types, a big-gift one)."""
    extras = n - keyword_playbooks(n)
    playbooks: list[dict[str, Any]] = [
        {
            "id": f"kw{i:03d}", "name": f"接龙 {i}", "stage": "immersion", "mode": "parallel", "max": 10,
            "trigger": {"type": "comment", "keywords": [KEYWORD.format(i)]},
            "conditions": [{"type": "viewer", "level_max": 100}, {"type": "room", "online_min": 1}],
            "actions": [{"type": "send_private", "text": "{{ nickname }}，收到：{{ comment }}"}],
        }  # fmt: skip
        for i in range(n - extras)
    ]
    others: list[dict[str, Any]] = [
        {"trigger": {"type": "gift", "min_coins": 1},
         "actions": [{"type": "notify_host", "text": "{{ nickname }} 送出 {{ gift_id }}"}]},
        {"trigger": {"type": "comment", "keywords": ["好好看"]},
         "conditions": [{"type": "viewer", "fan": True}],
         "actions": [{"type": "send_private", "text": "{{ nickname }}，粉丝团专属福利在这里"}]},
        {"trigger": {"type": "follow"},
         "actions": [{"type": "send_private", "text": "谢谢关注{{ host_name }}"}]},
        {"trigger": {"type": "like_count", "every": 1000},
         "actions": [{"type": "broadcast", "text": "点赞破 {{ likes }} 啦"}]},
        {"trigger": {"type": "comment", "regex": "^扣[1１]$"},
         "actions": [{"type": "broadcast", "text": "扣 1 的宝宝们，福利马上来"}]},
        {"trigger": {"type": "gift", "min_coins": 5000},
         "actions": [{"type": "send_private", "text": "{{ nickname }}，感谢大礼"}]},
    ]  # fmt: skip
    for j in range(extras):
        playbooks.append({"id": f"x{j:02d}", "name": f"其他 {j}", **others[j % len(others)]})
    return yaml.safe_dump({"version": 1, "title": "bench", "playbooks": playbooks}, allow_unicode=True,
                          sort_keys=False)  # fmt: skip


EMPTY_DOCUMENT = "version: 1\ntitle: bench (no playbooks)\nplaybooks: []\n"
# no gap, no caps. The gap is negative, not 0: two runs of one viewer spend concurrently, and the one that
# loses the compare-and-set retries with its earlier `now`, which a gap of 0 reads as "too soon".
OPEN_BUDGET = BudgetRules(
    gap_ms=dict.fromkeys(KINDS, -(10**12)), per_session=dict.fromkeys(KINDS, 10**9), per_minute=10**9
)
