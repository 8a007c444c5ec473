"""Intent scoring and product resolution for live-room questions.

Intent: weighted features over the normalised comment and its jieba tokens (synonym lists per intent,
not phrasings) plus slot features (a height and a weight mean size advice, a size or a colour with an
availability word means stock, ...). The best score wins; the confidence reflects its margin.

Product (README order): a link number > a product name / short name / category named in the comment
(rapidfuzz for near misses) > 这件/这个/这款/它 or nothing named on a product question -> the current
product. Shop-level questions (returns, FAQ, chitchat, handoff, shipping and coupons in general) carry no
product.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import jieba
from rapidfuzz import fuzz, process

from siyu.assistant.catalog import Catalog, Product
from siyu.assistant.slots import SlotExtractor, Slots, normalize
from siyu.rooms.questions import is_question

INTENTS = (
    "stock",
    "size_advice",
    "price",
    "material",
    "shipping",
    "returns",
    "color",
    "coupon",
    "product_info",
    "shop_faq",
    "chitchat",
    "handoff",
)
PRODUCT_INTENTS = frozenset({"stock", "size_advice", "price", "material", "color", "product_info"})
# On a tie the earlier intent wins.
_PRIORITY = {
    intent: i
    for i, intent in enumerate(
        (
            "handoff",
            "size_advice",
            "stock",
            "coupon",
            "returns",
            "shop_faq",
            "shipping",
            "price",
            "material",
            "product_info",
            "color",
            "chitchat",
        )
    )
}

# --------------------------------------------------------------------------------------------------
# jieba: initialised once, product words added once per catalog

_JIEBA_LOCK = threading.Lock()
_JIEBA_READY = False
_JIEBA_WORDS: set[str] = set()


def ensure_jieba(words: Iterable[str] = ()) -> None:
    """Initialise jieba's dictionary once (quietly) and add catalog words as user words."""
    global _JIEBA_READY
    with _JIEBA_LOCK:
        if not _JIEBA_READY:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _JIEBA_READY = True
        for word in words:
            if word and word not in _JIEBA_WORDS:
                jieba.add_word(word, freq=20000)
                _JIEBA_WORDS.add(word)


def tokenize(text: str) -> list[str]:
    ensure_jieba()
    return [t for t in jieba.lcut(text) if t.strip()]


# --------------------------------------------------------------------------------------------------
# features


_ABOUT_HOST = r"(身高|多高|多重|体重|几岁|多大了|穿(的)?(什么|啥|几)码|穿几号|是什么码)"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (intent, pattern, weight): matched on the comment with product mentions blanked out.
_RULES: tuple[tuple[str, re.Pattern[str], float], ...] = tuple(
    (intent, _rx(pattern), weight)
    for intent, pattern, weight in (
        # -- handoff: a person must look at it ------------------------------------------------------
        ("handoff", r"订单|单号", 4),
        ("handoff", r"我(买|拍|下单)的.{0,6}(什么时候|啥时候|多久|几天|怎么还)(到|发|寄)", 6),
        ("handoff", r"我的(快递|物流|包裹|订单|货|件)|查(一下|下)?(我的)?(快递|物流|订单|单号|包裹)", 6),
        (
            "handoff",
            r"(快递|物流|包裹|货|衣服|东西|裤子|裙子|外套|件).{0,8}(还没到|没到|没收到|还没收到|丢了|不动"
            r"|没更新|没动|停了|卡住|送错|显示签收|被签收)",
            6,
        ),
        ("handoff", r"(物流|快递)(信息)?.{0,4}(没更新|不更新|不动|停了|异常|卡住|没有更新)", 6),
        (
            "handoff",
            r"(拍了|买了|下单了|付款了|付了款|付了钱|我的|拍的).{0,10}(还没|没|不|咋还不|怎么还不)\s*(发|到"
            r"|寄)",
            6,
        ),
        ("handoff", r"(怎么|咋|为啥|为什么)还(没|不)(发|到|寄)", 6),
        ("handoff", r"改地址|修改地址|地址(填|写)错|换(个)?地址|改(一下)?收货|改(个)?(收货)?地址|地址改", 6),
        ("handoff", r"拍错|买错|下错|选错(了)?(码|颜色|尺码)|改(个|一下)?(尺码|码数|颜色)", 5),
        ("handoff", r"投诉|差评|举报|骗子|骗人|垃圾|太差|假货|12315|欺骗|维权|态度(太)?差|坑人", 6),
        (
            "handoff",
            r"(收到|到了|买的|穿了|洗了|洗完|拿到|寄来|发来|穿一次|洗一次).{0,12}(破|洞|开线|脱线|线头|掉色"
            r"|褪色|起球了|污渍|脏|坏|质量问题|有问题|不一样|严重|发错|少了|少发|漏发|瑕疵|异味|味道|染色"
            r"|缩水)",
            6,
        ),
        (
            "handoff",
            r"(开线|破洞|破了|脱线|掉色|褪色|染色|缩水|起球)了|发错|少发|漏发|严重掉色|掉色严重"
            r"|质量太差",
            5,
        ),
        ("handoff", r"(有|出现|发现)(个|一个|好几个|很多)?(破洞|洞|污渍|线头|瑕疵|异味|味道|脏东西)", 5),
        (
            "handoff",
            r"(能|可以|再)?便宜(一)?(点|些)|再便宜|能不能便宜|可以便宜|能便宜|少(一)?点(钱|吧|呗)?"
            r"|抹(个)?零|砍(个)?价|讲(个)?价|议价|打个折|优惠(一)?点|给个优惠|算便宜|\d+(块|元)?(卖|行|可以)(吗"
            r"|不)",
            6,
        ),
        ("handoff", r"人工|转人工|真人|找客服|联系客服|客服在|客服呢|找售后|联系售后", 6),
        ("handoff", r"退款.{0,6}(没到|还没|进度|怎么还|到哪)|我的退款|退款(一直|迟迟)|钱(还)?没退|没退钱", 6),
        ("handoff", r"催(一下|发货|单)|加急|帮我(查|看|催)", 4),
        # -- returns (policy) -----------------------------------------------------------------------
        ("returns", r"退货|退换|退款|能退|可以退|可退|退吗|退不退|包退|无理由|[7七]天|退了|要退|想退", 3),
        ("returns", r"运费险", 4),
        (
            "returns",
            r"换码|换色|换货|换(个|一个)?(大|小)|换(一)?(个)?码|能换|可以换|换吗|换不换|调换|支持换",
            3,
        ),
        ("returns", r"(退|换).{0,6}(运费|邮费)|(运费|邮费).{0,4}(谁出|谁付|谁承担|谁给|自己出)", 3),
        ("returns", r"不合适(怎么办|的话|能|可以)|不喜欢(怎么办|能|可以)", 2),
        ("returns", r"吊牌|售后|质量问题", 2),
        # -- shipping ----------------------------------------------------------------------------------
        ("shipping", r"包邮|邮费|运费(?!险)|快递费|免邮|邮吗", 3),
        (
            "shipping",
            r"发货|几天发|多久发|什么时候发|啥时候发|哪天发|几时发|几号发|发出|当天发|今天发|明天发|能发"
            r"|发吗"
            r"|(今天|明天|当天|马上|多久|几天|什么时候|啥时候|哪天)(能|可以|会|就)?(发|寄)"
            r"|发不发|寄出|寄吗|能寄",
            3,
        ),
        ("shipping", r"快递|物流|顺丰|中通|圆通|韵达|申通|京东快递|ems|邮政", 3),
        (
            "shipping",
            r"几天到|多久到|几天能到|多久能到|到货|送达|能到|几天收到|多久收到|什么时候到|时效"
            r"|(多久|几天|什么时候|啥时候)(能|可以|才|就)?(收到|到)",
            3,
        ),
        ("shipping", r"现货|预售", 3),
        ("shipping", r"偏远|港澳台|海外|国外", 2),
        ("shipping", r"哪里发|从哪|发货地|哪发|哪儿发|发哪", 3),
        # -- price --------------------------------------------------------------------------------------
        (
            "price",
            r"多少钱|几块|几元|价格|价钱|多钱|啥价|什么价|怎么卖|售价|价位|几钱|多少米|多少块|卖多少",
            3,
        ),
        ("price", r"原价|吊牌价|划线价|专柜价|直播间价|直播价|现价|现在卖|原来卖", 3),
        (
            "price",
            r"便宜(了)?多少|省(了)?多少|差多少|优惠了多少|几折|打几折|降了多少|贵不贵|贵吗|贵么|划算",
            3,
        ),
        ("price", r"多少$|多少[呀啊呢哇]$", 2),
        # -- material -----------------------------------------------------------------------------------
        ("material", r"面料|材质|材料|成分|布料|料子|什么料|啥料|质地|含量|质量怎么样|质量好", 3),
        ("material", r"纯棉|全棉|棉的|含棉|棉吗|是棉|棉质|棉料", 3),
        ("material", r"起球|掉毛|起毛|勾丝|掉绒|钻绒|跑绒", 3),
        (
            "material",
            r"厚不厚|厚吗|厚么|厚嘛|薄吗|薄么|薄不薄|厚度|厚实吗|多厚|厚还是薄|薄还是厚|透不透|透吗|透光"
            r"|会透"
            r"|透肉|闷不闷|闷吗|透气|凉快|凉不凉|热不热",
            3,
        ),
        ("material", r"弹力|弹性|有弹|弹吗|弹不弹|松紧吗", 3),
        ("material", r"充绒|绒量|含绒|鸭绒|鹅绒|羽绒含量|绒子|充的(什么|啥)|什么绒|啥绒", 3),
        (
            "material",
            r"(羊毛|羊绒|聚酯|涤纶|氨纶|锦纶|粘纤|腈纶|亚麻|冰丝|真丝|莫代尔|棉)的?(吗|么|嘛|呀|不)",
            3,
        ),
        ("material", r"保暖|暖和|暖不暖|冷不冷|抗冻", 3),
        (
            "material",
            r"扎人|刺挠|扎不扎|软吗|柔软|手感|亲肤|舒服吗|易皱|起皱|皱吗|缩水"
            r"|掉色吗|褪色吗|掉不掉色|变形吗",
            2,
        ),
        ("material", r"羊毛|羊绒|聚酯|涤纶|氨纶|锦纶|粘纤|腈纶|亚麻|冰丝|真丝|莫代尔|摇粒绒", 1),
        (
            "material",
            r"(是|含|有|带)(没有)?(羊毛|羊绒|聚酯|涤纶|氨纶|锦纶|粘纤|腈纶|亚麻|冰丝|真丝|莫代尔|棉)",
            3,
        ),
        ("material", r"(会不会|会|容易).{0,4}(缩水|掉色|褪色|起球|变形|皱|掉毛|起毛|钻绒|跑绒)", 3),
        # -- color --------------------------------------------------------------------------------------
        ("color", r"颜色|几个色|几种色|什么色|啥色|哪些色|哪几个色|几色|色号|配色|哪个色|其他色|别的色", 3),
        # -- stock --------------------------------------------------------------------------------------
        (
            "stock",
            r"还有吗|还有没有|还有嘛|还有么|还有没|还有的|有没有货|有货|没货|库存|断码|售罄|卖完|卖光|抢光"
            r"|补货|补不补"
            r"|还剩|剩多少|剩几|还能拍|能拍吗|可以拍吗|能下单吗|拍得到|抢得到|有木有|还有码|有码吗|缺货|断货|缺码|没码",
            3,
        ),
        ("stock", r"有没有|有吗|有么|有嘛|有没|有的吗|有.{1,8}[吗么嘛]$", 1),
        (
            "stock",
            r"哪些码|什么码数|几个码|有什么码|有哪些码|尺码有哪些|码数有哪些|码全|码齐|哪几个码|有几个尺码"
            r"|什么尺码",
            3,
        ),
        # -- size advice ----------------------------------------------------------------------------------
        (
            "size_advice",
            r"穿什么码|穿啥码|穿几码|(?<!有)什么码(?!数)|啥码|几码|哪个码|多大码|多大的|选哪个|拍哪个"
            r"|(拍|选|买)什么(码|尺码|号|size)|选多大|穿多大|适合(哪个|多大)|适合什么(码|尺码|号|size)|推荐(什么"
            r"|哪个)?码"
            r"|码数怎么选|尺码推荐|怎么选码|拍多大|要多大|买多大|哪个尺码|什么尺码合适|[smlx]+还是[smlx]+",
            3,
        ),
        ("size_advice", r"能穿吗|可以穿吗|穿得下|能穿下|穿不下|合适吗|适合我吗|穿着合适", 1.5),
        (
            "size_advice",
            r"偏大|偏小|正码|尺码标准|码偏|大一码|小一码|标准码|(尺码|码数|码)(准|标准)(吗|不|么)",
            2,
        ),
        # -- coupon -------------------------------------------------------------------------------------
        ("coupon", r"券后|到手|用券|用了券|领券后", 2),
        ("coupon", r"活动|优惠", 2),
        (
            "coupon",
            r"券|红包|满减|满.{0,4}减|无门槛|折扣|打折|叠加|新人|新客|首单|立减|到手|优惠(吗|嘛|么|呢)"
            r"|有优惠"
            r"|什么优惠|啥优惠|优惠活动|福利价|有活动",
            3,
        ),
        # -- product info ---------------------------------------------------------------------------------
        (
            "product_info",
            r"衣长|裤长|裙长|袖长|长度|多长|有多长|长不长|肩宽|胸围|腰围|臀围|下摆|尺寸|尺码表|裤腿",
            3,
        ),
        ("product_info", r"修身|宽松|版型|廓形|oversize|紧身|显瘦|显胖|直筒", 3),
        ("product_info", r"机洗|洗衣机|手洗|干洗|水洗|怎么洗|洗涤|烘干|熨|漂白|洗护|清洗|好洗|能洗", 3),
        ("product_info", r"季节|什么时候穿|几月|春天|夏天|秋天|冬天|春秋|四季|冬季|夏季|天气|几度|现在穿", 2),
        (
            "product_info",
            r"特点|卖点|亮点|优点|介绍|怎么样|好看吗|值得|细节|设计|口袋|帽子|连帽|内衬|拉链|扣子|领口|袖子"
            r"|有里布|通勤|上班|约会",
            2,
        ),
        (
            "product_info",
            r"(男生|男的|男士|男人|男朋友|老公|女生|女的|老婆|女朋友)(也)?(能|可以)?穿|男女(同款|都)"
            r"|情侣(款)?吗|中性(款)?吗|是男款|是女款|男款吗|女款吗|分男女",
            3,
        ),
        # -- shop FAQ / shop-level topics -------------------------------------------------------------------
        ("shop_faq", r"发票|开票|专票|普票", 4),
        ("shop_faq", r"粉丝团|灯牌|亲密度|粉丝专场|粉丝福利", 3),
        ("shop_faq", r"会员|vip|积分|金卡", 4),
        ("shop_faq", r"预售(是)?(什么|啥)(意思)?|什么(是|叫)预售|预售(期)?(一般)?多久", 4),
        (
            "shop_faq",
            r"几点(开播|直播|播|下播)|开播|直播时间|每天(都)?(播|直播)|明天(还)?(播|直播)|什么时候(开播"
            r"|直播)"
            r"|几点开始|下播",
            4,
        ),
        ("shop_faq", r"货到付款|到付", 4),
        ("shop_faq", r"色差|实物|和图片|跟图片|图片(颜色)?一样|实拍|与图片", 3),
        ("shop_faq", r"实体店|线下|门店|店面|专柜|地址在哪|店在哪", 3),
        ("shop_faq", r"合并|一起发|分开拍|分开买|分开下单|多单|几单", 3),
        ("shop_faq", r"福袋|抽奖|口令|抽到|中奖", 4),
        ("shop_faq", r"分期|花呗|信用卡|支付宝|微信(支付|付)|怎么付|付款方式|支付方式|银行卡", 3),
        ("shop_faq", r"客服(几点|时间|上班|下班)|几点(上班|下班)", 4),
        ("shop_faq", r"厂家|工厂|源头|自己家|自产|你们(店)?在哪", 2),
        ("shop_faq", r"哪里产|产地|哪产的|哪里生产|哪里做的|国产", 3),
        # -- questions about the host (not in the catalog) ------------------------------------------
        ("chitchat", rf"(主播|你)(的)?{_ABOUT_HOST}", 6),
        # -- chitchat -----------------------------------------------------------------------------------
        (
            "chitchat",
            r"^(来了|来啦|打卡|晚上好|早上好|中午好|下午好|你好|您好|哈喽|hello|hi|嗨|在吗|在不在)",
            3,
        ),
        # a greeting to the host or the assistant: "主播在吗", "晚晚你好呀，在吗", "有人吗"
        (
            "chitchat",
            r"(主播|晚晚|小助理|助理|宝宝|姐妹|你|有人)(你好呀?|好呀?)?[，,\s]*(在吗|在不在|在嘛|在么)|有人吗",
            4,
        ),
        (
            "chitchat",
            r"好美|好漂亮|真漂亮|好好看|好看(?!吗|么|嘛|不)|好可爱|好瘦|身材(真|太)?好|气质|有范|好酷|仙女|女神|美女|帅"
            r"|辛苦|加油"
            r"|支持|爱你|爱了|喜欢你|么么|666|哈哈|嘿嘿|呵呵|冲冲|冲鸭|来了|打卡|关注了|点赞|第一次来|新来的"
            r"|路过|晚安"
            r"|拜拜|下次见|谢谢|感谢|太棒|真棒|厉害|已拍|拍了拍了|买了买了|好喜欢|想要|回来了|刚来|声音好听",
            2,
        ),
    )
)

# Aspects: which part of an intent the viewer asks about (drives the answer template and the group key).
_ASPECTS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    intent: tuple((name, _rx(p)) for name, p in table)
    for intent, table in {
        "material": (
            ("pilling", r"起球|掉毛|起毛|勾丝"),
            ("cotton", r"纯棉|全棉|棉的|含棉|棉吗|是棉|棉质|棉料"),
            ("fibre", r"羊毛|羊绒|聚酯|涤纶|氨纶|锦纶|粘纤|腈纶|亚麻|冰丝|真丝|莫代尔"),
            ("leak", r"掉绒|钻绒|跑绒|漏绒"),
            ("fill", r"充绒|绒量|含绒|鸭绒|鹅绒|羽绒含量|绒子|充的|什么绒|啥绒"),
            ("elastic", r"弹力|弹性|有弹|弹吗|弹不弹|松紧"),
            ("sheer", r"透不透|透吗|透光|会透|透肉|不透"),
            ("breath", r"透气|闷|吸汗|凉快|凉不凉|热不热"),
            ("warmth", r"保暖|暖和|暖不暖|冷不冷|抗冻|防风"),
            ("thickness", r"厚|薄"),
            ("wash_effect", r"缩水|掉色|褪色|浮色|变形|皱"),
            ("feel", r"扎人|刺挠|扎不扎|软|手感|亲肤|舒服"),
        ),
        "shipping": (
            ("sf", r"顺丰"),
            ("presale", r"现货|预售|有货"),
            ("origin", r"哪里发|从哪|发货地|哪发|哪儿发|发哪"),
            (
                "delivery",
                r"几天到|多久到|几天能到|多久能到|到货|送达|能到|几天收到|多久收到|什么时候到|时效|收到"
                r"|(几|多少)天(?!.{0,2}发)|多久(?!.{0,2}发)",
            ),
            (
                "ship_time",
                r"发货|几天发|多久发|什么时候发|啥时候发|哪天发|几时发|几号发|发出|当天发|今天发|明天发"
                r"|(今天|明天|当天|马上|多久|几天|什么时候|啥时候|哪天)(能|可以|会|就)?(发|寄)",
            ),
            ("carrier", r"快递|物流|中通|圆通|韵达|申通|京东|ems|邮政"),
            ("free", r"包邮|邮费|运费|快递费|免邮|邮吗"),
            ("deliverable", r"能发|发吗|发不发|能寄|寄吗"),
        ),
        "returns": (
            ("insurance", r"运费险"),
            ("cost", r"(运费|邮费).{0,4}(谁|自己|承担)|(退|换).{0,6}(运费|邮费)"),
            ("quality", r"质量问题|破|开线|瑕疵"),
            ("refund_time", r"退款|到账|多久退|几天退"),
            ("exchange", r"换"),
            ("conditions", r"洗过|洗了|穿过|穿了|吊牌|剪|拆|试穿|试了"),
            ("presale", r"预售"),
        ),
        "coupon": (
            ("stacking", r"叠加|一起用|同时用|两张|多张|几张|一张"),
            ("newbie", r"新人|新客|首单|第一次"),
            ("fans", r"粉丝团|粉丝"),
            ("where", r"在哪(里|儿)?领|怎么领|哪里领|哪领|领取|去哪|领.{0,3}(在哪|哪里|怎么)"),
            (
                "final",
                r"券后|到手|用券|用了券|领券后|用完券|能用什么券|能用哪|可以用什么券|用什么券|能用券"
                r"|可以用券|多少钱",
            ),
            ("threshold", r"满.{0,4}减|满减|门槛"),
        ),
        "price": (
            ("original", r"原价|吊牌价|划线价|专柜价|原来"),
            ("diff", r"便宜(了)?多少|省(了)?多少|差多少|优惠了多少|降了多少|划算"),
            ("rate", r"几折"),
        ),
        "product_info": (
            ("measure", r"衣长|裤长|裙长|袖长|长度|多长|长不长|胸围|腰围|臀围|尺寸|尺码表|下摆|裤腿"),
            ("care", r"机洗|洗衣机|手洗|干洗|水洗|怎么洗|洗涤|烘干|熨|漂白|洗护|清洗|好洗|能洗"),
            ("fit", r"修身|宽松|版型|廓形|oversize|紧身|显瘦|显胖|直筒"),
            ("gender", r"男生|男的|男士|男朋友|老公|男款|女生|女的|男女|情侣|中性"),
            ("season", r"季节|什么时候穿|几月|春|夏|秋|冬|四季|天气|几度|现在穿"),
            (
                "features",
                r"特点|卖点|亮点|优点|介绍|怎么样|好看|值得|细节|设计|口袋|帽|内衬|拉链|扣|领|袖|通勤|上班"
                r"|约会",
            ),
        ),
        "stock": (
            ("count", r"几件|多少件|剩多少|还剩|库存多少|剩几"),
            (
                "sizes",
                r"哪些码|什么码数|几个码|有什么码|有哪些码|尺码有哪些|码数有哪些|码全|码齐|哪几个码"
                r"|几个尺码|什么尺码",
            ),
        ),
        "handoff": (
            (
                "bargain",
                r"便宜|少(一)?点|抹(个)?零|砍|讲(个)?价|议价|打个折|优惠(一)?点|给个优惠|\d+(块|元)?(卖|行"
                r"|可以)",
            ),
            ("wrong_item", r"发错|少发|漏发|送错|不是我(拍|买)的|少了一件"),
            ("complaint", r"投诉|差评|举报|骗|垃圾|太差|假货|12315|维权|态度|坑"),
            (
                "quality",
                r"破|洞|开线|脱线|线头|掉色|褪色|起球|污渍|脏|坏|质量|瑕疵|异味|味道|染色|缩水|发错|少发"
                r"|漏发",
            ),
            ("address", r"地址|拍错|买错|下错|选错|改"),
            ("refund", r"退款|退钱|没退"),
            (
                "logistics",
                r"快递|物流|包裹|没到|没收到|发货|没发|不发|到货|催|加急|什么时候(到|发)|多久(到|发)",
            ),
            ("order", r"订单|单号"),
            ("human", r"人工|真人|客服|售后"),
        ),
        "shop_faq": (
            ("payment", r"分期|花呗|信用卡|支付宝|微信|怎么付|付款方式|支付方式|银行卡"),
            ("service_hours", r"客服(几点|时间|上班|下班)|几点(上班|下班)"),
            ("intro", r"厂家|工厂|源头|自己家|自产|你们(店)?在哪|哪里产|产地|哪产的|哪里生产|哪里做的|国产"),
        ),
        "chitchat": (("host", r"主播|你的|你穿"),),
    }.items()
}

_COLOR_THEN_HAVE = re.compile(
    r"色的?\s*(还)?(有吗|有没有|有么|有嘛|有木有|有货|有没)|[黑白红粉蓝绿黄紫灰](的)?\s*(有吗|有没有)"
)
_COMPLAINT = re.compile(
    r"投诉|差评|举报|骗|垃圾|太差|假货|维权|收到|到了|我的|订单|人工|客服|便宜|少点|抹零"
    r"|砍价"
)
_COMMON_PAIRS = frozenset(
    {"这个", "那个", "这件", "那件", "这款", "那款", "这条", "那条", "多少", "少钱", "有没", "没有"}
)
_MALE = re.compile(r"男款|男士|男生|男装|男的|男人|男朋友|老公|男式")
_FEMALE = re.compile(r"女款|女士|女生|女装|女的|女式|老婆|女朋友")
_HYPOTHETICAL = re.compile(r"会不会|会.{0,6}[吗么嘛]|容易|是否|怕不怕|担心")
_PRONOUN = re.compile(
    r"这件|这个|这款|这条|这套|这一款|这一件|这双|这顶|它|此款|该款|这裤子|这裙子|这衣服"
    r"|这外套|当前|现在这|这是|这啥"
)
_SHOP_PREFIX = re.compile(r"你们|店里|店铺|直播间|咱们|你家")
_FAQ_STOP = frozenset(
    "衣服 东西 商品 宝贝 支持 直播间 发货 吗 呢 呀 啊 吧 么 嘛 的 了 是 有 可以 能 不 "
    "什么 啥 怎么 怎么样 多久 几 "
    "一下 请问 宝宝 姐妹 主播 亲 你们 我们 我 你 "
    "这个 那个 还 都 也 就 要 想 在 和 跟 与 或 吧 哦 哈 问 下 会 给 会不会 能不能 可不可以 有没有".split()
)
# Words that name a FAQ topic in another way; a viewer word counts as any word of its group.
_FAQ_SYNONYM_GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(g.split())
    for g in (
        "发票 开票 专票 普票 开发票",
        "粉丝团 灯牌 亲密度",
        "会员 vip 积分 金卡",
        "开播 直播 几点 播 下播",
        "货到付款 到付 货到",
        "色差 实物 图片 实拍",
        "实体店 线下 门店 店面 专柜",
        "合并 一起 合并发货 分开 分开拍 几单 多单 一起发",
        "福袋 抽奖 口令 中奖",
        "福利 好处 优惠",
        "什么 啥 意思 啥意思",
    )
)
_FAQ_SYNONYMS: dict[str, frozenset[str]] = {w: g for g in _FAQ_SYNONYM_GROUPS for w in g}

# Garment nouns viewers use for a product ("那条裙子") -> the character(s) that must appear in the
# product's category or name for it to be meant.
_GARMENT_NOUNS: dict[str, tuple[str, ...]] = {
    "裙子": ("裙",),
    "裙": ("裙",),
    "裤子": ("裤",),
    "长裤": ("裤",),
    "短袖": ("短袖", "T恤"),
    "体恤": ("T恤",),
    "t恤": ("T恤",),
    "毛衣": ("针织",),
    "开衫": ("开衫",),
    "大衣": ("大衣",),
    "外套": ("外套", "夹克", "大衣"),
    "羽绒": ("羽绒",),
    "衬衣": ("衬衫",),
    "马甲": ("马甲",),
    "背心": ("马甲",),
    "夹克": ("夹克",),
    "短裤": ("短裤",),
    "牛仔": ("牛仔",),
    "卫衣": ("卫衣",),
    "上衣": ("上衣", "T恤", "衬衫", "针织", "卫衣"),
}


@dataclass(slots=True)
class Mention:
    product_ids: list[str]
    kind: str  # link / name / short_name / category / piece / noun / fuzzy
    span: tuple[int, int] | None = None


@dataclass(slots=True)
class Parse:
    text: str
    norm: str
    tokens: list[str]
    slots: Slots
    intent: str
    scores: dict[str, float]
    confidence: float
    product_id: str | None
    product_source: str  # link / name / short_name / category / noun / fuzzy / color / current / none
    candidates: list[str] = field(default_factory=list)  # products a vague mention could mean
    current_product: str | None = None
    aspects: tuple[str, ...] = ()
    is_question: bool = True
    pronoun: bool = False
    mentioned: bool = False  # a product was named (link, name, category)
    faq_index: int | None = None
    faq_score: float = 0.0


class Understander:
    """Turns a comment into a :class:`Parse` against one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        words: list[str] = []
        for p in catalog.products:
            words += [p.short_name, p.name, p.category, *p.colors]
        ensure_jieba(words)
        self.slots = SlotExtractor(catalog.colors, catalog.link_numbers)
        # exact aliases, longest first: (alias lowercased, kind, product ids)
        aliases: dict[str, tuple[str, list[str]]] = {}
        for p in catalog.products:
            for alias, kind in ((p.name, "name"), (p.short_name, "short_name")):
                aliases[alias.lower()] = (kind, [p.id])
        for category in catalog.categories:
            ids = [p.id for p in catalog.by_category(category)]
            aliases.setdefault(category.lower(), ("category", ids))
        self._aliases = sorted(aliases.items(), key=lambda kv: len(kv[0]), reverse=True)
        # every 3+ character piece of a name or short name -> products (摇粒绒 -> 摇粒绒外套)
        self._pieces: dict[str, list[str]] = {}
        for p in catalog.products:
            for alias in {p.short_name.lower(), p.name.lower()}:
                for i in range(len(alias)):
                    for j in range(i + 3, len(alias) + 1):
                        ids = self._pieces.setdefault(alias[i:j], [])
                        if p.id not in ids:
                            ids.append(p.id)
        self._longest_piece = max((len(k) for k in self._pieces), default=0)
        self._fuzzy_choices = {p.id: p.short_name.lower() for p in catalog.products}
        self._fuzzy_names = {p.id: p.name.lower() for p in catalog.products}
        host = catalog.shop.host.strip()
        self._host_re = re.compile(rf"{re.escape(host)}(的)?{_ABOUT_HOST}") if host else None
        self._faq_keys = [
            (self._faq_keywords(e.q), self._faq_keywords(e.a) - self._faq_keywords(e.q))
            for e in catalog.shop.faq
        ]

    # -- public ------------------------------------------------------------------------------------

    def parse(self, text: str, current_product: str | None) -> Parse:
        norm = normalize(text)
        low = norm.lower()
        slots = self.slots.extract(norm)
        mention, masked = self._mention(low, slots)
        self._numeric_sizes(slots, mention, current_product)
        tokens = tokenize(masked)
        scores = self._score(masked, tokens, slots)
        faq_index, faq_score = self._faq_match(tokens)
        if faq_score >= 3:
            scores["shop_faq"] = scores.get("shop_faq", 0.0) + faq_score
        pronoun = bool(_PRONOUN.search(low))
        question = is_question(norm)
        intent, confidence = self._decide(scores, question, mention is not None, pronoun, current_product)
        aspects = self._aspects(intent, masked)
        product_id, source, candidates = self._resolve(
            intent, mention, slots, current_product, pronoun, aspects, masked
        )
        if intent in PRODUCT_INTENTS and product_id is None:
            confidence = min(confidence, 0.4)
        if source in ("category", "noun", "piece") and len(candidates) > 1 and product_id != current_product:
            confidence = min(confidence, 0.6)
        return Parse(
            text=text,
            norm=norm,
            tokens=tokens,
            slots=slots,
            intent=intent,
            scores=scores,
            confidence=round(confidence, 3),
            product_id=product_id,
            product_source=source,
            candidates=candidates,
            current_product=current_product,
            aspects=aspects,
            is_question=question,
            pronoun=pronoun,
            mentioned=mention is not None,
            faq_index=faq_index if intent == "shop_faq" else None,
            faq_score=faq_score,
        )

    # -- product mentions --------------------------------------------------------------------------

    def _numeric_sizes(self, slots: Slots, mention: Mention | None, current: str | None) -> None:
        """A bare number that is a size of the product in question (浅蓝26, 黑色32有吗) is a size."""
        if slots.sizes or not slots.numbers:
            return
        pid = mention.product_ids[0] if mention is not None and mention.product_ids else current
        product = self.catalog.get(pid)
        if product is None:
            return
        for n in slots.numbers:
            if str(n) in product.sizes:
                slots.sizes.append(str(n))
                return

    def _mention(self, low: str, slots: Slots) -> tuple[Mention | None, str]:
        """The product named in the comment (if any) and the comment with that name blanked out."""
        if slots.link_nos:
            ids = [p.id for n in slots.link_nos if (p := self.catalog.by_link_no(n)) is not None]
            return Mention(ids, "link"), self._blank_aliases(low)
        for alias, (kind, ids) in self._aliases:
            i = low.find(alias)
            if i >= 0:
                span = (i, i + len(alias))
                if kind == "category":
                    ids = [p.id for p in self.catalog.products if alias in self._haystack(p)]
                return Mention(self._rank(ids, low, span), kind, span), _blank(low, span)
        piece = self._piece(low)
        if piece is not None:
            return piece, _blank(low, piece.span) if piece.span else low
        for noun, marks in _GARMENT_NOUNS.items():
            i = low.find(noun)
            if i >= 0:
                ids = [
                    p.id for p in self.catalog.products if any(m.lower() in self._haystack(p) for m in marks)
                ]
                if ids:
                    span = (i, i + len(noun))
                    return Mention(self._rank(ids, low, span), "noun", span), low
        fuzzy = self._fuzzy(low)
        if fuzzy is not None:
            return fuzzy, _blank(low, fuzzy.span) if fuzzy.span else low
        return None, low

    def _piece(self, low: str) -> Mention | None:
        """The longest piece of a product name in the comment (4+ characters, or 3 without 这件/这个)."""
        shortest = 3 if not _PRONOUN.search(low) else 4
        for length in range(min(len(low), self._longest_piece), shortest - 1, -1):
            for i in range(len(low) - length + 1):
                ids = self._pieces.get(low[i : i + length])
                if ids:
                    span = (i, i + length)
                    return Mention(self._rank(list(ids), low, span), "piece", span)
        return None

    def _rank(self, ids: list[str], low: str, span: tuple[int, int]) -> list[str]:
        """Order the products a vague mention could mean; the best-fitting ones first, ties kept.

        Evidence: 男款/男士 or 女款 in the comment (gender), two-character pieces of the rest of the comment
        found in a product's short name or name (那个轻薄的羽绒服 -> 轻薄羽绒服), and the mention being part
        of the short name rather than only of the full name."""
        if len(ids) < 2:
            return ids
        want = "男" if _MALE.search(low) else "女" if _FEMALE.search(low) else None
        rest = low[: span[0]] + " " + low[span[1] :]
        pairs = {rest[i : i + 2] for i in range(len(rest) - 1)} - _COMMON_PAIRS
        mentioned = low[span[0] : span[1]]

        def score(pid: str) -> float:
            p = self.catalog.product(pid)
            names = f"{p.short_name}|{p.name}".lower()
            value = float(sum(1 for pair in pairs if pair.strip() == pair and pair in names))
            if mentioned in p.short_name.lower():
                value += 0.5
            if want is not None:
                value += 2 if p.gender == want else 1 if p.gender == "中性" else -2
            return value

        scored = sorted(((score(pid), i, pid) for i, pid in enumerate(ids)), key=lambda t: (-t[0], t[1]))
        top = scored[0][0]
        return [pid for value, _, pid in scored if value >= top]

    def _blank_aliases(self, low: str) -> str:
        for alias, _ in self._aliases:
            i = low.find(alias)
            if i >= 0:
                low = _blank(low, (i, i + len(alias)))
        return low

    @staticmethod
    def _haystack(p: Product) -> str:
        return f"{p.category}|{p.name}|{p.short_name}".lower()

    def _fuzzy(self, low: str) -> Mention | None:
        """A near-miss of a short name or name (高腰牛仔 for 高腰牛仔裤), via rapidfuzz."""
        if len(low) < 3:
            return None
        best: tuple[float, str, tuple[int, int] | None] | None = None
        for choices in (self._fuzzy_choices, self._fuzzy_names):
            hit = process.extractOne(low, choices, scorer=fuzz.partial_ratio, score_cutoff=80)
            if hit is None:
                continue
            _, score, pid = hit
            alias = choices[pid]
            if len(alias) < 4:
                continue
            align = fuzz.partial_ratio_alignment(alias, low)
            span = (align.dest_start, align.dest_end) if align is not None else None
            if span is not None:
                window = low[span[0] : span[1]]
                # at least 3 characters of the alias in the window, in order
                common = sum(1 for ch in window if ch in alias)
                if common < 3:
                    continue
            if best is None or score > best[0]:
                best = (score, str(pid), span)
        if best is None:
            return None
        return Mention([best[1]], "fuzzy", best[2])

    # -- intent ------------------------------------------------------------------------------------

    def _score(self, masked: str, tokens: list[str], slots: Slots) -> dict[str, float]:
        scores: dict[str, float] = {}

        def add(intent: str, weight: float) -> None:
            scores[intent] = scores.get(intent, 0.0) + weight

        for intent, pattern, weight in _RULES:
            if pattern.search(masked):
                add(intent, weight)
        if self._host_re is not None and self._host_re.search(masked):
            add("chitchat", 6.0)
        body = (slots.height_cm is not None) + (slots.weight_jin is not None)
        if body:
            add("size_advice", 2.0 + 2.0 * body)
        measure = any(p.search(masked) for name, p in _ASPECTS["product_info"] if name == "measure")
        if slots.sizes and not body:
            if measure:
                add("product_info", 1.0)
            else:
                add("stock", 2.0 if not slots.colors else 3.0)
        if slots.colors and not slots.sizes:
            add("color", 2.0)
        if slots.regions:
            add("shipping", 2.0)
        if slots.order_no:
            add("handoff", 4.0)
        if "handoff" in scores and _HYPOTHETICAL.search(masked) and not _COMPLAINT.search(masked):
            scores["handoff"] = max(0.0, scores["handoff"] - 5.0)
        if "有" in tokens and (slots.sizes or slots.colors):
            add("stock" if slots.sizes else "color", 0.5)
        if slots.colors and _COLOR_THEN_HAVE.search(masked):
            add("stock", 1.5)  # 奶黄色有吗 / 黑色还有没有: availability of a colour
        if slots.quantity is not None and slots.quantity > 1 and "price" in scores:
            add("coupon", 3.0)  # 两件多少钱: a basket price, counted against the 满减 thresholds
        return scores

    def _decide(
        self, scores: dict[str, float], question: bool, mentioned: bool, pronoun: bool, current: str | None
    ) -> tuple[str, float]:
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], _PRIORITY[kv[0]]))
        if not ranked or ranked[0][1] < 1.5:
            if mentioned or (question and (pronoun or current is not None)):
                return "product_info", 0.35
            if question:
                return "chitchat", 0.3
            return "chitchat", 0.7
        top_intent, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (top - second) / top
        confidence = 0.45 + 0.35 * margin + 0.2 * min(1.0, top / 6.0)
        if top_intent == "chitchat" and question and (pronoun or mentioned):
            return "product_info", 0.35
        return top_intent, min(confidence, 0.99)

    def _aspects(self, intent: str, masked: str) -> tuple[str, ...]:
        return tuple(name for name, p in _ASPECTS.get(intent, ()) if p.search(masked))

    # -- product resolution ------------------------------------------------------------------------

    def _resolve(
        self,
        intent: str,
        mention: Mention | None,
        slots: Slots,
        current: str | None,
        pronoun: bool,
        aspects: tuple[str, ...],
        masked: str,
    ) -> tuple[str | None, str, list[str]]:
        if current is not None and self.catalog.get(current) is None:
            current = None
        if intent in ("returns", "shop_faq", "chitchat", "handoff"):
            return None, "none", []
        named: str | None = None
        source = "none"
        candidates: list[str] = []
        if mention is not None and mention.kind == "link" and not mention.product_ids:
            return None, "link", []  # a link number that is not in the cart
        if mention is not None and mention.product_ids:
            candidates = list(mention.product_ids)
            if mention.kind in ("category", "noun", "piece") and len(candidates) > 1:
                named = current if current in candidates else candidates[0]
            elif mention.kind in ("category", "noun", "piece") and current in candidates:
                named = current
            else:
                named = candidates[0]
            source = mention.kind
        if intent == "shipping":
            # only when the answer depends on the product: presale / when this item ships
            about_item = "presale" in aspects or "ship_time" in aspects
            specific = about_item and (named is not None or pronoun or "presale" in aspects)
            if not specific or _SHOP_PREFIX.search(masked):
                return None, "none", []
        if intent == "coupon":
            specific = named is not None or pronoun or "final" in aspects or slots.quantity is not None
            if not specific or (
                named is None and not pronoun and set(aspects) & {"newbie", "fans", "stacking"}
            ):
                return None, "none", []
        if named is not None:
            return named, source, candidates
        if current is not None:
            return current, "current", []
        if slots.colors:
            owners = {p.id for c in slots.colors for p in self.catalog.by_color(c)}
            if len(owners) == 1:
                return owners.pop(), "color", []
        return None, "none", []

    # -- FAQ ---------------------------------------------------------------------------------------

    @staticmethod
    def _faq_keywords(question: str) -> frozenset[str]:
        words = {t for t in tokenize(normalize(question).lower()) if t not in _FAQ_STOP and len(t) >= 2}
        # also the 2-character pieces of longer words (开发票 -> 发票)
        for w in list(words):
            if len(w) > 2:
                words |= {w[i : i + 2] for i in range(len(w) - 1)}
        return frozenset(words)

    def _faq_match(self, tokens: list[str]) -> tuple[int | None, float]:
        if not self._faq_keys:
            return None, 0.0
        words: set[str] = set()
        for t in tokens:
            t = t.lower()
            if t in _FAQ_STOP:
                continue
            words.add(t)
            words.update(_FAQ_SYNONYMS.get(t, ()))
            if len(t) > 2:
                words |= {t[i : i + 2] for i in range(len(t) - 1)}
        best, best_score = None, 0.0
        for i, (keys, answer_keys) in enumerate(self._faq_keys):
            score = float(sum(min(len(w), 3) for w in words & keys if len(w) >= 2))
            score += 0.5 * sum(min(len(w), 3) for w in words & answer_keys if len(w) >= 2)
            if score > best_score:
                best, best_score = i, score
        return best, best_score

    def faq_for(self, text: str) -> int | None:
        """The FAQ entry closest to `text` (None when nothing is close)."""
        index, score = self._faq_match(tokenize(normalize(text).lower()))
        return index if score >= 2 else None


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]
