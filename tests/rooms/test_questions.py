"""Question detection on live-room comments, and the per-room QuestionBoard."""

from __future__ import annotations

import pytest

from siyu.rooms.questions import Question, QuestionBoard
from siyu.zh import is_question

QUESTIONS = [
    "这件有XL码吗",
    "黑色L还有吗？",
    "165 110斤穿什么码",
    "3号链接多少钱",
    "包邮吗",
    "新疆包邮吗",
    "几天发货",
    "能发顺丰吗",
    "起球吗",
    "有没有红色",
    "能不能便宜点",
    "修身还是宽松呢",
    "什么时候发货",
    "一米七 62kg 选哪个码",
    "可以机洗吗",
    "how much is it?",
    # more shapes: trailing punctuation/whitespace, tildes, A-not-A, colloquial 不 ending
    "  包邮吗  ",
    "XL码有吗～",
    "黑色呢。",
    "是不是纯棉的",
    "要不要配腰带",
    "好看不",
    "主播穿的是几号",
    "啥时候上新",
    "咋洗",
    "为啥这么贵",
    "?",
    "Where is the link",
    "Can I return it",
]

NOT_QUESTIONS = [
    "来了来了",
    "主播好美",
    "打卡",
    "666",
    "已拍",
    "哈哈哈哈",
    "主播怎么这么好看",
    "没什么",
    "支持主播",
    "冲冲冲",
    "拍了两件",
    "",
    # more: whitespace only, exclamatory idioms that contain interrogatives, plain statements
    "   ",
    "主播怎么那么会穿",
    "这件什么都好",
    "哪里哪里",
    "多少有点贵",
    "不怎么样",
    "不不不",
    "已关注",
    "谢谢主播",
    "么么哒",
    "hello",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions(text: str) -> None:
    assert is_question(text) is True


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_not_questions(text: str) -> None:
    assert is_question(text) is False


# Realistic comments the detector gets wrong: each is clearly one or the other.
MISSED_QUESTIONS = [
    pytest.param("这个厚不厚", id="a-not-a-hou-bu-hou"),
    pytest.param("会掉不掉色", id="a-not-a-diao-bu-diao"),
    pytest.param("这个是修身还是宽松的", id="alternative-haishi"),
    pytest.param("退货运费谁出", id="interrogative-shei"),
]
FALSE_QUESTIONS = [
    pytest.param("拍了好几件", id="ji-jian-several"),
    pytest.param("好几天没来了", id="ji-tian-several"),
    pytest.param("主播怎么穿都好看", id="zenme-dou-concessive"),
]


@pytest.mark.parametrize("text", MISSED_QUESTIONS)
def test_formerly_missed_questions(text: str) -> None:
    assert is_question(text) is True


@pytest.mark.parametrize("text", FALSE_QUESTIONS)
def test_statements_with_interrogative_characters(text: str) -> None:
    assert is_question(text) is False


# --- shared dev set (copied from shared/data/qa_dev.jsonl: id, question, expected intent) ------

QA_DEV: list[tuple[str, str, str]] = [
    ("dev-001", "这个卡其色XXL码还有货吗", "stock"),
    ("dev-002", "有券吗", "coupon"),
    ("dev-003", "166 112斤穿什么码", "size_advice"),
    ("dev-004", "晚上好呀晚晚", "chitchat"),
    ("dev-005", "有咖啡色这个颜色吗", "color"),
    ("dev-006", "身高一米七九体重143斤选多大的", "size_advice"),
    ("dev-007", "卡其色3XL还有吗", "stock"),
    ("dev-008", "能机洗吗", "product_info"),
    ("dev-009", "10号L码衣长多少", "product_info"),
    ("dev-010", "184 206斤能穿吗 拍什么码", "size_advice"),
    ("dev-011", "宝宝164cm 111斤这个拍哪个码", "size_advice"),
    ("dev-012", "可以便宜点吗", "handoff"),
    ("dev-013", "分开拍能一起发吗", "shop_faq"),
    ("dev-014", "这个是修身还是宽松的", "product_info"),
    ("dev-015", "有实体店吗", "shop_faq"),
    ("dev-016", "这件起球吗", "material"),
    ("dev-017", "20号链接 177 159斤穿什么码", "size_advice"),
    ("dev-018", "这件有s码吗", "stock"),
    ("dev-019", "16号有哪些颜色", "color"),
    ("dev-020", "有色差吗", "shop_faq"),
    ("dev-021", "不合适能换码吗", "returns"),
    ("dev-022", "包邮吗", "shipping"),
    ("dev-023", "原价多少 直播间多少", "price"),
    ("dev-024", "13号有XXL吗", "stock"),
    ("dev-025", "这个是现货吗 几天发", "shipping"),
    ("dev-026", "来了来了", "chitchat"),
    ("dev-027", "这个多少钱", "price"),
    ("dev-028", "这件什么面料", "material"),
    ("dev-029", "7号多少钱呀", "price"),
    ("dev-030", "这个厚不厚", "material"),
    ("dev-031", "满多少减多少", "coupon"),
    ("dev-032", "这个用券后多少钱", "coupon"),
    ("dev-033", "雾粉色还有吗", "stock"),
    ("dev-034", "能退吗", "returns"),
    ("dev-035", "1号链接多少钱", "price"),
    ("dev-036", "这个有几个颜色", "color"),
    ("dev-037", "内蒙古包邮吗", "shipping"),
    ("dev-038", "我的快递怎么还没到 订单号6140813192203334696", "handoff"),
    ("dev-039", "退货运费谁出", "returns"),
    ("dev-040", "主播好美", "chitchat"),
]


def _dev_params(want_question: bool) -> list[object]:
    params: list[object] = []
    for item_id, text, intent in QA_DEV:
        if intent == "handoff":
            continue
        if (intent != "chitchat") is not want_question:
            continue
        params.append(pytest.param(text, id=item_id))
    return params


def test_dev_set_is_complete() -> None:
    assert len(QA_DEV) == 40
    assert len({item_id for item_id, _, _ in QA_DEV}) == 40
    assert len(_dev_params(True)) + len(_dev_params(False)) == 38  # two handoff items skipped


@pytest.mark.parametrize("text", _dev_params(want_question=True))
def test_dev_set_questions(text: str) -> None:
    assert is_question(text) is True


@pytest.mark.parametrize("text", _dev_params(want_question=False))
def test_dev_set_chitchat(text: str) -> None:
    assert is_question(text) is False


# --- QuestionBoard -----------------------------------------------------------------------------


def q(seq: int, text: str = "包邮吗", user: str = "u1") -> Question:
    return Question(seq=seq, ts=1000 + seq, user={"id": user, "nick": user}, text=text)


def test_board_keeps_arrival_order() -> None:
    board = QuestionBoard()
    for seq in (5, 2, 9, 7):
        board.add(q(seq))
    assert [item["seq"] for item in board.snapshot()] == [5, 2, 9, 7]


def test_new_question_is_open() -> None:
    board = QuestionBoard()
    board.add(q(1))
    (item,) = board.snapshot()
    assert item["answered"] is False
    assert item["reply_seq"] is None
    assert item["answered_by"] is None


def test_answer_marks_answered() -> None:
    board = QuestionBoard()
    board.add(q(1))
    board.add(q(2, "几天发货"))
    answered = board.answer(2, reply_seq=3, by="host-1")
    assert answered is not None
    assert (answered.seq, answered.answered, answered.reply_seq, answered.answered_by) == (
        2,
        True,
        3,
        "host-1",
    )
    snap = {item["seq"]: item for item in board.snapshot()}
    assert snap[2]["answered"] is True
    assert snap[2]["reply_seq"] == 3
    assert snap[2]["answered_by"] == "host-1"
    assert snap[1]["answered"] is False  # the other question is untouched
    assert [item["seq"] for item in board.snapshot()] == [1, 2]  # answering does not reorder


def test_answer_again_records_latest_reply() -> None:
    board = QuestionBoard()
    board.add(q(1))
    board.answer(1, reply_seq=2, by="host-1")
    again = board.answer(1, reply_seq=4, by="assistant-1")
    assert again is not None
    assert (again.reply_seq, again.answered_by) == (4, "assistant-1")


def test_answer_unknown_seq() -> None:
    board = QuestionBoard()
    board.add(q(1))
    assert board.answer(99, reply_seq=100, by="host") is None
    assert board.snapshot()[0]["answered"] is False


def test_board_is_bounded_and_drops_oldest() -> None:
    board = QuestionBoard(limit=3)
    for seq in range(1, 6):
        board.add(q(seq))
    assert [item["seq"] for item in board.snapshot()] == [3, 4, 5]
    assert board.answer(1, reply_seq=10, by="host") is None  # dropped questions cannot be answered
    assert board.answer(3, reply_seq=10, by="host") is not None


def test_answered_questions_count_toward_limit() -> None:
    board = QuestionBoard(limit=2)
    board.add(q(1))
    board.answer(1, reply_seq=2, by="host")
    board.add(q(3))
    board.add(q(4))
    assert [item["seq"] for item in board.snapshot()] == [3, 4]


def test_default_limit() -> None:
    board = QuestionBoard()
    for seq in range(1, 502):
        board.add(q(seq))
    snap = board.snapshot()
    assert len(snap) == 500
    assert snap[0]["seq"] == 2


def test_snapshot_shape() -> None:
    board = QuestionBoard()
    board.add(Question(seq=7, ts=123, user={"id": "u9", "nick": "小美", "lvl": 3}, text="有没有红色"))
    assert board.snapshot() == [
        {
            "state": "pending",
            "dismissed_by": None,
            "seq": 7,
            "ts": 123,
            "user": {"id": "u9", "nick": "小美", "lvl": 3},
            "text": "有没有红色",
            "answered": False,
            "reply_seq": None,
            "answered_by": None,
        }
    ]


def test_empty_snapshot() -> None:
    assert QuestionBoard().snapshot() == []
