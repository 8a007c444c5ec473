"""Random documents (valid pieces, mutated) never make parse_file raise anything but a PlaybookIssue."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import siyu.playbooks.registry  # noqa: F401 - fills the trigger / condition / action tables
from siyu.playbooks.model import ACTIONS, TRIGGERS, PlaybookIssue, parse_file
from tests.playbooks import streamkit  # noqa: F401 - the wings' frame models validate interaction actions

# Valid pieces, mutated one field at a time (a wrong type, a huge or odd value, a key dropped or added),
# assembled into documents: parse_file may accept or refuse them, but only ever with a PlaybookIssue.

_TRIGGERS: list[dict[str, Any]] = [
    {"type": "comment", "keywords": ["扣1"]},
    {"type": "comment", "regex": "^\\d+号"},
    {"type": "comment", "intent": "size"},
    {"type": "dwell", "seconds": 30},
    {"type": "silence", "seconds": 60},
    {"type": "engagement", "at_least": 10},
    {"type": "viewer_enter", "visit": "first"},
    {"type": "stage_changed", "to": "conversion"},
    {"type": "schedule", "every_s": 60, "offset_s": 5},
    {"type": "schedule", "before_end_s": 300},
    {"type": "many_asked", "count": 3},
    {"type": "like_count", "every": 100},
    {"type": "gift", "min_coins": 10},
    {"type": "question_unanswered", "seconds": 30},
    {"type": "order_placed", "min_total_yuan": 50},
    {"type": "product_changed"},
    {"type": "follow"},
    {"type": "coupon_claimed", "coupon_id": "C1"},
]
_CONDITIONS: list[dict[str, Any]] = [
    {"type": "viewer", "new": True, "level_min": 2},
    {"type": "viewer", "stage": ["immersion"], "score_min": 5},
    {"type": "room", "online_min": 10, "host_status": ["busy"]},
    {"type": "time", "between": ["23:00", "02:00"]},
    {"type": "experiment", "id": "e", "variants": ["a"]},
    {"type": "budget", "kind": "invite"},
    {"type": "not", "conditions": [{"type": "viewer", "fan": True}]},
    {"type": "or", "conditions": [{"type": "room", "pinned": True}, {"type": "viewer", "purchased": True}]},
]
_ACTIONS: list[dict[str, Any]] = [
    {"type": "send_private", "text": "{{ nickname }}你好"},
    {"type": "broadcast", "text": "欢迎"},
    {"type": "show_card", "benefit": "新人券"},
    {"type": "wait", "seconds": 30},
    {
        "type": "invite_private_domain",
        "channel": "wecom_contact",
        "text": "加我",
        "override_value_gate": True,
    },
    {"type": "push_coupon", "coupon_id": "C1"},
    {"type": "start_poll", "question": "选哪个", "options": ["红", "黑"]},
    {"type": "pin_product", "product_id": "next"},
    {"type": "pin_topic", "text": "聊聊"},
    {"type": "ask_assistant", "kind": "answer_group"},
    {"type": "notify_host", "text": "注意", "priority": "high"},
    {"type": "tag_viewer", "tag": "vip"},
    {"type": "add_points", "points": 5},
    {"type": "hand_off", "journey": "j"},
    {
        "type": "choose",
        "choices": [
            {"conditions": [{"type": "viewer", "new": True}], "actions": [{"type": "broadcast", "text": "x"}]}
        ],
        "default": [{"type": "wait", "seconds": 5}],
    },
    {"type": "random_split", "experiment": "s", "branches": [{"name": "l"}, {"name": "r", "weight": 2}]},
]
_odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            "type",
            "{{ nope }}",
            "{% for x in y %}{% endfor %}",
            "{{ nickname.__class__ }}",
            "25:99",
            "next",
            "[",
            "a" * 600,
            "很" * 2001,
        ]
    ),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _mutated(pool: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def change(piece: dict[str, Any], how: int, key: str, value: Any) -> dict[str, Any]:
        out = dict(piece)
        keys = sorted(out)
        victim = keys[how % len(keys)]
        if how % 4 == 1:
            out[victim] = value
        elif how % 4 == 2:
            out.pop(victim)
        elif how % 4 == 3:
            out[key] = value
        return out

    return st.builds(
        change,
        st.sampled_from(pool),
        st.integers(0, 40),
        st.sampled_from(["seconds", "text", "extra", "conditions", "actions", "to", "kind", "every_s"]),
        _odd,
    )


_playbook = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "Bad Id", "x" * 50]),
        "trigger": st.one_of(_mutated(_TRIGGERS), st.lists(_mutated(_TRIGGERS), min_size=1, max_size=3)),
        "actions": st.lists(_mutated(_ACTIONS), max_size=5),
    },
    optional={
        "conditions": st.lists(_mutated(_CONDITIONS), max_size=3),
        "mode": st.sampled_from(["single", "restart", "queued", "parallel", "bogus"]),
        "max": _odd,
        "cooldown_s": _odd,
        "experiment": st.fixed_dictionaries(
            {
                "id": st.sampled_from(["e", ""]),
                "variants": st.lists(
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(["a", "b"])},
                        optional={"weight": _odd, "actions": st.lists(_mutated(_ACTIONS), max_size=2)},
                    ),
                    max_size=3,
                ),
            },
            optional={"holdout": _odd},
        ),
    },
)
_document = st.fixed_dictionaries(
    {"playbooks": st.lists(_playbook, max_size=3)},
    optional={
        "planned_minutes": st.one_of(st.integers(1, 2000), _odd),
        "quiet_hours": st.one_of(st.just({"start": "23:00", "end": "08:00"}), _odd),
        "welcome": st.one_of(st.just("{{ nickname }}"), _odd),
    },
)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document, st.booleans())
def test_random_documents_raise_only_playbook_issue(document: dict[str, Any], as_json: bool) -> None:
    text = json.dumps(document) if as_json else yaml.safe_dump(document, allow_unicode=True)
    try:
        parse_file(text)
    except PlaybookIssue as exc:
        assert exc.errors and all({"path", "message", "type"} <= set(e) for e in exc.errors)


def test_the_unmutated_pieces_are_valid() -> None:
    """The seeds of the random documents validate (so the mutations start from valid ground)."""
    for trigger in _TRIGGERS:
        actions = [a for a in _ACTIONS if a["type"] != "ask_assistant" or trigger["type"] == "many_asked"]
        if TRIGGERS[trigger["type"]].subject == "room":
            actions = [
                a for a in actions if ACTIONS[a["type"]].subject != "viewer" and "nickname" not in str(a)
            ]
        pb = {"id": "a", "trigger": trigger, "conditions": _CONDITIONS, "actions": actions[:40]}
        parse_file(json.dumps({"playbooks": [pb]}))
