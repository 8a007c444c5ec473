"""Moderation: normalisation, words, contact ads and links, spam, escalation, manual actions, state."""

from __future__ import annotations

import pytest

from siyu.moderation import (
    AUTO,
    MASK,
    Action,
    ModerationConfig,
    Moderator,
    Step,
    WordFilter,
    load_words,
    normalize,
    parse_words,
)

NORMAL_CHAT = [
    "主播好美",
    "666",
    "666666",
    "哈哈哈哈",
    "哈哈哈哈哈哈哈哈哈哈哈哈",
    "这件有XL码吗",
    "165 110斤穿什么码",
    "160cm 50kg 穿M还是L？",
    "3号链接多少钱",
    "已拍",
    "加购了",
    "求上链接",
    "想要加大码",
    "我加入粉丝团了",
    "加油",
    "主播加油💪💪",
    "扣1",
    "1",
    "5201314",
    "1314 1314 520",
    "yyds",
    "v领的有吗",
    "有没有V领款？",
    "vip会员有折扣吗",
    "这个颜色显白吗",
    "有优惠券吗",
    "福袋什么时候开",
    "怎么免费领取",
    "怎么加微信？",
    "加了微信，送的什么",
    "主播私聊我一下尺码",
    "是代购吗",
    "上身效果怎么样",
    "发货快吗，新疆能发吗",
    "订单号123456789什么时候发货",
    "我手机iphone15拍的颜色有点偏",
    "手机壳也要",
    "qq糖色好看",
    "主播几点下播",
    "再加100000件库存吧",
    "宝宝们冲冲冲！！！",
    "www 哈哈哈 www",
    "已关注，求福利",
    "2号和5号各要一件",
    "腰围2尺1能穿吗",
    "黑色还有货吗？",
    "主播能不能试穿一下2号",
    "这个价格太划算了",
    "welcome 晚晚",
    "质量怎么样，会起球吗",
    "订单尾号 8866",
    "我的快递单号 SF1234567890 怎么还没到",
    "微信支付可以吗",
    "手机号怎么改",
    "主播v587",
    "v我50",
    "刚刷到这个直播间",
    "这不是高仿吧",
    "哈哈www",
]


@pytest.fixture
def mod() -> Moderator:
    return Moderator(clock=lambda: 0.0)


# --- normalisation -------------------------------------------------------------------------


def test_normalize_folds_width_case_spaces_symbols_and_emoji() -> None:
    assert normalize("ｖｘ") == ("vx", [0, 1])
    assert normalize("加-微-信") == ("加微信", [0, 2, 4])
    assert normalize("加 V 🌹信！") == ("加v信", [0, 2, 5])
    assert normalize("刷*单") == ("刷单", [0, 2])
    assert normalize("ＡＢＣ１２３") == ("abc123", [0, 1, 2, 3, 4, 5])
    assert normalize("a\u200bb") == ("ab", [0, 2])  # zero-width space
    assert normalize("") == ("", [])


def test_normalize_maps_expanded_characters_to_their_source() -> None:
    norm, index = normalize("5㎏!")  # NFKC turns one character into two
    assert norm == "5kg"
    assert index == [0, 1, 1]


# --- word filter ---------------------------------------------------------------------------


def test_word_filter_finds_evasions_and_original_spans() -> None:
    wf = WordFilter({"contact": ["加微信"], "ads": ["刷单"]})
    text = "你好 加-微-信 谢谢"
    [hit] = wf.find(text)
    assert (hit.category, hit.word) == ("contact", "加微信")
    assert text[hit.span[0] : hit.span[1]] == "加-微-信"
    assert [m.word for m in wf.find("刷*单，刷 单")] == ["刷单", "刷单"]


def test_mask_keeps_unmatched_text() -> None:
    wf = WordFilter({"contact": ["加微信"], "ads": ["刷单"]})
    assert wf.mask("你好 加-微-信 谢谢") == f"你好 {MASK * 5} 谢谢"
    assert wf.mask("刷单的别来，主播好美") == f"{MASK * 2}的别来，主播好美"
    assert wf.mask("没有问题") == "没有问题"


def test_longer_hit_wins_and_allow_list_suppresses() -> None:
    wf = WordFilter({"ads": ["刷单"], "fraud": ["刷单返利"], "contact": ["加微信"]}, allow=["怎么加微信"])
    assert [(m.category, m.word) for m in wf.find("刷单返利了解一下")] == [("fraud", "刷单返利")]
    assert wf.find("怎么加微信") == []
    assert [m.word for m in wf.find("快加微信")] == ["加微信"]


def test_word_filter_edge_cases() -> None:
    assert WordFilter({}).find("加微信") == []
    assert WordFilter({"x": ["abc"]}).find("") == []
    with pytest.raises(ValueError):
        WordFilter({"x": ["--"]})


def test_shipped_word_list() -> None:
    words = load_words()
    assert {"abuse", "ads", "contact", "fraud", "politics_placeholder"} <= set(words.categories)
    assert words.categories["politics_placeholder"].words == ()
    for category in words.categories.values():
        assert category.action in ("hide", "mute", "ban")
        assert category.reason  # shown to moderators, in Chinese
    assert "刷单" in words.categories["ads"].words
    assert "加v" in words.categories["contact"].words


def test_parse_words_rejects_bad_lists() -> None:
    with pytest.raises(ValueError):
        parse_words({"categories": {"x": {"action": "explode", "words": []}}})
    with pytest.raises(ValueError):
        parse_words({"categories": []})
    with pytest.raises(ValueError):
        parse_words({"categories": {"x": {"words": "刷单"}}})


# --- content checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason", "masked"),
    [
        ("加 v 信", "contact_ad", "＊＊＊＊＊"),
        ("加V：abc123", "contact_ad", "＊＊＊＊＊＊＊＊＊"),
        ("ｗｘ：ab12345", "contact_ad", "＊＊＊＊＊＊＊＊＊＊"),
        ("想要的加 我 qq 12345678", "contact_ad", "想要的＊＊＊＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("vx号: wanwan_88", "contact_ad", "＊＊＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("扣扣：123456789", "contact_ad", "＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("电话138-1234-5678", "contact_ad", "＊＊＊＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("有事找我 138 1234 5678", "contact_ad", "有事找我 ＊＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("一三八一二三四五六七八", "contact_ad", "＊＊＊＊＊＊＊＊＊＊＊"),
        ("私聊我有惊喜", "contact_ad", "＊＊＊有惊喜"),
        ("刷-单", "sensitive_word", "＊＊＊"),
        ("高仿包包低价出", "sensitive_word", "＊＊包包＊＊＊"),
        ("www.xx点com", "link", "＊＊＊＊＊＊＊＊＊＊"),
        ("看 https://shop.example.xyz/a1 便宜", "link", f"看 {MASK * 27} 便宜"),
        ("abc . com 更便宜", "link", "＊＊＊＊＊＊＊＊＊ 更便宜"),
        ("ABC。COM", "link", "＊＊＊＊＊＊＊"),
        ("abc点com", "link", "＊＊＊＊＊＊＊"),
        ("找我ｖｘ", "contact_ad", "找我＊＊"),
        ("主播是傻逼吧", "sensitive_word", "主播是＊＊吧"),
    ],
)
def test_evasions_are_caught_and_masked(mod: Moderator, text: str, reason: str, masked: str) -> None:
    verdict = mod.check("spammer", text)
    assert verdict.action == "hide"
    assert verdict.reason == reason
    assert verdict.reason_text  # Chinese text for moderators
    assert verdict.masked == masked
    assert verdict.words


def test_masked_text_keeps_the_rest_of_the_comment(mod: Moderator) -> None:
    verdict = mod.check("u", "宝宝们 加-微-信 送福利")
    assert verdict.masked == f"宝宝们 {MASK * 5} 送福利"
    assert verdict.words == ("加微信",)
    assert [m.span for m in verdict.matches] == [(4, 9)]


@pytest.mark.parametrize("text", NORMAL_CHAT)
def test_normal_chat_is_allowed(mod: Moderator, text: str) -> None:
    verdict = mod.check(f"viewer-{text}", text)
    assert verdict.action == "allow", (text, verdict)
    assert verdict.reason == "ok"
    assert verdict.masked == text
    assert verdict.words == ()


def test_normal_chat_list_is_long_enough() -> None:
    assert len(set(NORMAL_CHAT)) >= 40


def test_one_viewer_chatting_normally_is_never_flagged(mod: Moderator) -> None:
    for i, text in enumerate(NORMAL_CHAT * 2):  # each comment twice, a few seconds apart
        assert mod.check("fan", text, now=i * 3.0).allowed, text


def test_excitement_is_not_spam(mod: Moderator) -> None:
    for i in range(20):
        assert mod.check("fan", "666666", now=i).allowed
        assert mod.check("fan", "哈哈哈哈哈", now=i).allowed
        assert mod.check("fan", "冲冲冲冲冲冲", now=i).allowed
    for i in range(200):  # the host says "想要的扣1": everyone does
        assert mod.check(f"viewer{i}", "扣1", now=100 + i * 0.01).allowed
    assert mod.check("fan", "哈" * 40).allowed
    assert mod.strikes("fan") == 0


def test_extreme_repetition_is_hidden_without_a_strike(mod: Moderator) -> None:
    verdict = mod.check("fan", "哈" * 60)
    assert (verdict.action, verdict.reason, verdict.strikes) == ("hide", "repeat_chars", 0)
    assert mod.check("fan2", "哈哈" * 30).reason == "repeat_chars"
    assert mod.strikes("fan") == 0


def test_severe_categories_start_above_hide(mod: Moderator) -> None:
    fraud = mod.check("a", "兼职日结，刷单返利")
    assert (fraud.action, fraud.mute_seconds) == ("mute", 600)
    assert fraud.record is not None and fraud.record.kind == "mute" and fraud.record.by == AUTO
    assert mod.is_muted("a", now=599) and not mod.is_muted("a", now=601)
    adult = mod.check("b", "约炮吗")
    assert adult.action == "ban"
    assert mod.is_banned("b")


# --- spam behaviour ------------------------------------------------------------------------


def test_repeating_the_same_text_is_hidden_from_the_limit_on(mod: Moderator) -> None:
    text = "主播看看我的评论"
    assert mod.check("u", text, now=0).allowed
    assert mod.check("u", "主播 看看我的评论！", now=5).allowed  # same once normalised: 2nd
    third = mod.check("u", text, now=10)
    assert (third.action, third.reason) == ("hide", "repeat_spam")
    assert third.strikes == 0  # repetition never escalates
    assert mod.check("u", text, now=15).reason == "repeat_spam"
    assert mod.check("other", text, now=15).allowed  # per user
    assert mod.check("u", text, now=200).allowed  # window passed


def test_same_text_from_many_users_is_a_flood(mod: Moderator) -> None:
    text = "点击头像领取大额优惠券啦"
    for i in range(4):
        assert mod.check(f"bot{i}", text, now=i).allowed
    flood = mod.check("bot4", text, now=4)
    assert (flood.action, flood.reason, flood.strikes) == ("hide", "flood", 0)
    assert mod.check("bot5", text, now=5).reason == "flood"
    assert mod.check("late", text, now=100).allowed  # the burst is over


def test_flood_spread_out_in_time_is_not_a_flood(mod: Moderator) -> None:
    text = "点击头像领取大额优惠券啦"
    for i in range(10):
        assert mod.check(f"user{i}", text, now=i * 5.0).allowed


# --- escalation ----------------------------------------------------------------------------


def test_escalation_hide_then_mute_then_ban(mod: Moderator) -> None:
    first = mod.check("ad", "加V：abc123", now=0)
    assert (first.action, first.strikes, first.record) == ("hide", 1, None)

    second = mod.check("ad", "高仿包包低价出", now=60)
    assert (second.action, second.mute_seconds, second.strikes) == ("mute", 600, 2)
    assert "禁言10分钟" in second.reason_text
    assert second.record == Action("mute", "ad", AUTO, "sensitive_word", second.reason_text, 60, 660)
    assert mod.is_muted("ad", now=61)

    during = mod.check("ad", "主播好美", now=300)
    assert (during.action, during.reason) == ("hide", "muted")
    assert "禁言中" in during.reason_text

    assert mod.check("ad", "主播好美", now=661).allowed  # the mute expired
    third = mod.check("ad", "www.xx点com", now=700)
    assert (third.action, third.strikes) == ("ban", 3)
    assert third.record is not None and third.record.kind == "ban" and third.record.until is None
    assert mod.is_banned("ad")
    after = mod.check("ad", "主播好美", now=800)
    assert (after.action, after.reason) == ("hide", "banned")


def test_strikes_expire_after_the_window(mod: Moderator) -> None:
    assert mod.check("u", "刷单", now=0).strikes == 1
    assert mod.strikes("u", now=1000) == 1
    assert mod.strikes("u", now=1801) == 0
    again = mod.check("u", "刷单", now=1801)
    assert (again.action, again.strikes) == ("hide", 1)


def test_escalation_is_configurable() -> None:
    config = ModerationConfig(escalation=(Step("mute", 60), Step("ban")), strike_window=100)
    mod = Moderator(config, clock=lambda: 0.0)
    first = mod.check("u", "刷单", now=0)
    assert (first.action, first.mute_seconds) == ("mute", 60)
    assert "禁言1分钟" in first.reason_text
    assert mod.check("u", "刷单", now=61).action == "ban"
    assert mod.check("v", "刷单", now=0).action == "mute"
    assert mod.check("v", "刷单", now=161).action == "mute"  # the first strike left the window
    with pytest.raises(ValueError):
        ModerationConfig(escalation=())
    with pytest.raises(ValueError):
        ModerationConfig(escalation=(Step("mute"),))
    with pytest.raises(ValueError):
        ModerationConfig(repeat_limit=1)


# --- manual actions ------------------------------------------------------------------------


def test_manual_mute_expires(mod: Moderator) -> None:
    action = mod.mute("u", 120, by="mod1", now=1000)
    assert (action.kind, action.target, action.by, action.until) == ("mute", "u", "mod1", 1120)
    assert "禁言2分钟" in action.reason_text
    assert mod.is_muted("u", now=1119)
    assert mod.check("u", "主播好美", now=1100).reason == "muted"
    assert not mod.is_muted("u", now=1120)
    assert mod.check("u", "主播好美", now=1121).allowed
    assert mod.size().mutes == 0
    with pytest.raises(ValueError):
        mod.mute("u", 0, by="mod1")


def test_unmute_lifts_the_mute_and_forgives_strikes(mod: Moderator) -> None:
    mod.check("u", "刷单", now=0)
    assert mod.check("u", "刷单", now=1).action == "mute"
    action = mod.unmute("u", by="mod1", now=2)
    assert (action.kind, action.by) == ("unmute", "mod1")
    assert not mod.is_muted("u", now=3)
    assert mod.strikes("u", now=3) == 0
    assert mod.check("u", "刷单", now=4).action == "hide"  # a fresh start, not a ban


def test_manual_ban_and_unban(mod: Moderator) -> None:
    action = mod.ban("troll", by="mod2", now=5)
    assert action == Action("ban", "troll", "mod2", "manual", action.reason_text, 5)
    assert mod.is_banned("troll")
    assert mod.check("troll", "主播好美", now=6).reason == "banned"
    assert mod.unban("troll", by="mod2", now=7).kind == "unban"
    assert mod.check("troll", "主播好美", now=8).allowed


def test_manual_hide_is_a_record_only(mod: Moderator) -> None:
    action = mod.hide("u", by="mod1", cid="c42", now=3)
    assert (action.kind, action.cid, action.at) == ("hide", "c42", 3)
    assert mod.strikes("u") == 0 and not mod.is_muted("u")


def test_replay_rebuilds_mutes_and_bans(mod: Moderator) -> None:
    log = [mod.mute("a", 600, by="m", now=0), mod.ban("b", by="m", now=0), mod.ban("c", by="m", now=0)]
    log.append(mod.unban("c", by="m", now=1))
    fresh = Moderator(clock=lambda: 0.0)
    fresh.replay(log)
    assert fresh.is_muted("a", now=10) and fresh.is_banned("b") and not fresh.is_banned("c")


def test_clock_is_used_when_now_is_omitted() -> None:
    clock = [100.0]
    mod = Moderator(clock=lambda: clock[0])
    mod.mute("u", 60, by="m")
    assert mod.is_muted("u")
    clock[0] = 161.0
    assert not mod.is_muted("u")


# --- bounded state -------------------------------------------------------------------------


def test_user_state_is_capped() -> None:
    mod = Moderator(ModerationConfig(max_users=100, max_flood_texts=50), clock=lambda: 0.0)
    for i in range(5000):
        mod.check(f"u{i}", f"第{i}条评论内容比较长一点", now=i * 0.001)
    size = mod.size()
    assert size.users == 100
    assert size.flood_texts == 50


def test_idle_state_expires() -> None:
    mod = Moderator(clock=lambda: 0.0)
    for i in range(1000):
        mod.check(f"u{i}", f"第{i}条评论内容比较长一点", now=0)
    mod.mute("m", 60, by="mod", now=0)
    assert mod.size().users == 1000 and mod.size().flood_texts == 1000 and mod.size().mutes == 1
    mod.check("late", "主播好美", now=2000)  # triggers the periodic sweep
    size = mod.size()
    assert (size.users, size.flood_texts, size.mutes) == (1, 0, 0)


def test_per_user_history_is_capped(mod: Moderator) -> None:
    for i in range(1000):
        mod.check("chatty", f"不一样的评论{i}", now=i * 0.01)
    assert mod.size().users == 1
    assert len(mod._users["chatty"].recent) == mod.config.history_per_user
    # repeat detection still works with the capped history
    mod.check("chatty", "主播看看我的评论", now=20)
    mod.check("chatty", "主播看看我的评论", now=21)
    assert mod.check("chatty", "主播看看我的评论", now=22).reason == "repeat_spam"
