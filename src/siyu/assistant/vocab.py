"""Generic live-room vocabularies: colour words, provinces and delivery zones.

Catalog colours are added to :data:`GENERIC_COLORS` per catalog (``SlotExtractor``); the province tables
read where a parcel goes (``新疆包邮吗``) and which delivery zone of the shop policy covers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "GENERIC_COLORS",
    "KNOWN_ZONES",
    "PROVINCES",
    "PROVINCE_ABBR",
    "REGION_OF",
    "REGION_RE",
    "REMOTE_WORDS",
    "region_in",
    "region_zone",
]

# Colour words viewers use. Single characters are only read as colours in a colour-like context (see
# slots._SINGLE_COLOR) so that 红包, 粉丝团, 小黄车, 白菜价 do not count.
GENERIC_COLORS: tuple[str, ...] = (
    "黑色",
    "白色",
    "红色",
    "粉色",
    "蓝色",
    "绿色",
    "黄色",
    "紫色",
    "灰色",
    "棕色",
    "橙色",
    "杏色",
    "驼色",
    "咖色",
    "咖啡色",
    "卡其色",
    "卡其",
    "咖啡",
    "米色",
    "米白",
    "米白色",
    "奶白",
    "奶白色",
    "乳白色",
    "奶黄",
    "奶黄色",
    "燕麦",
    "燕麦色",
    "酒红",
    "酒红色",
    "大红",
    "大红色",
    "玫红",
    "玫红色",
    "粉红",
    "粉红色",
    "藕粉",
    "藕粉色",
    "雾粉",
    "雾粉色",
    "浅粉",
    "浅粉色",
    "墨绿",
    "墨绿色",
    "军绿",
    "军绿色",
    "橄榄绿",
    "薄荷绿",
    "牛油果绿",
    "浅蓝",
    "浅蓝色",
    "深蓝",
    "深蓝色",
    "天蓝",
    "天蓝色",
    "宝蓝",
    "宝蓝色",
    "藏青",
    "藏青色",
    "藏蓝",
    "藏蓝色",
    "雾霾蓝",
    "雾蓝",
    "雾蓝色",
    "牛仔蓝",
    "浅灰",
    "浅灰色",
    "深灰",
    "深灰色",
    "烟灰",
    "烟灰色",
    "银灰",
    "银灰色",
    "香槟",
    "香槟色",
    "金色",
    "银色",
    "焦糖色",
    "姜黄",
    "姜黄色",
    "芥末黄",
    "柠檬黄",
    "鹅黄",
    "鹅黄色",
    "香芋紫",
    "薰衣草紫",
    "桔色",
    "橘色",
    "纯白",
    "纯黑",
    "碎花",
    "条纹",
    "格子",
    "豆沙色",
    "裸色",
)

# Where a parcel goes: aliases -> province-level name. The short forms are what viewers type.
PROVINCES: dict[str, tuple[str, ...]] = {
    "北京": ("北京",),
    "天津": ("天津",),
    "上海": ("上海", "魔都"),
    "重庆": ("重庆",),
    "河北": ("河北", "石家庄"),
    "山西": ("山西", "太原"),
    "辽宁": ("辽宁", "沈阳", "大连"),
    "吉林": ("吉林", "长春"),
    "黑龙江": ("黑龙江", "哈尔滨"),
    "江苏": ("江苏", "南京", "苏州", "无锡", "常州"),
    "浙江": ("浙江", "杭州", "宁波", "温州", "绍兴", "义乌"),
    "安徽": ("安徽", "合肥"),
    "福建": ("福建", "福州", "厦门"),
    "江西": ("江西", "南昌"),
    "山东": ("山东", "济南", "青岛"),
    "河南": ("河南", "郑州"),
    "湖北": ("湖北", "武汉"),
    "湖南": ("湖南", "长沙"),
    "广东": ("广东", "广州", "深圳", "东莞", "佛山"),
    "海南": ("海南", "海口", "三亚"),
    "四川": ("四川", "成都"),
    "贵州": ("贵州", "贵阳"),
    "云南": ("云南", "昆明"),
    "陕西": ("陕西", "西安"),
    "甘肃": ("甘肃", "兰州"),
    "青海": ("青海", "西宁"),
    "广西": ("广西", "南宁", "桂林"),
    "内蒙古": ("内蒙古", "内蒙", "呼和浩特", "包头"),
    "西藏": ("西藏", "拉萨"),
    "宁夏": ("宁夏", "银川"),
    "新疆": ("新疆", "乌鲁木齐"),
    "香港": ("香港",),
    "澳门": ("澳门",),
    "台湾": ("台湾",),
    "海外": ("海外", "国外", "外国", "美国", "日本", "韩国", "英国", "澳洲", "加拿大", "新加坡", "马来西亚"),
}
# Standard one-character abbreviations, used to read zone names such as 港澳台 / 江浙沪皖.
PROVINCE_ABBR: dict[str, str] = {
    "北京": "京",
    "天津": "津",
    "上海": "沪",
    "重庆": "渝",
    "河北": "冀",
    "山西": "晋",
    "辽宁": "辽",
    "吉林": "吉",
    "黑龙江": "黑",
    "江苏": "苏",
    "浙江": "浙",
    "安徽": "皖",
    "福建": "闽",
    "江西": "赣",
    "山东": "鲁",
    "河南": "豫",
    "湖北": "鄂",
    "湖南": "湘",
    "广东": "粤",
    "海南": "琼",
    "四川": "川",
    "贵州": "贵",
    "云南": "云",
    "陕西": "陕",
    "甘肃": "甘",
    "青海": "青",
    "广西": "桂",
    "内蒙古": "蒙",
    "西藏": "藏",
    "宁夏": "宁",
    "新疆": "新",
    "香港": "港",
    "澳门": "澳",
    "台湾": "台",
}
# Zone names that are not built from abbreviations.
KNOWN_ZONES: dict[str, frozenset[str]] = {
    "江浙沪": frozenset({"江苏", "浙江", "上海"}),
    "江浙沪皖": frozenset({"江苏", "浙江", "上海", "安徽"}),
    "珠三角": frozenset({"广东"}),
}
REMOTE_WORDS = ("偏远地区", "偏远", "边远")

REGION_RE = re.compile(
    "|".join(
        sorted(
            {a for aliases in PROVINCES.values() for a in aliases} | set(REMOTE_WORDS), key=len, reverse=True
        )
    )
)
REGION_OF = {a: p for p, aliases in PROVINCES.items() for a in aliases}


def region_zone(region: str, zones: Iterable[str], remote_areas: Iterable[str]) -> str | None:
    """Which delivery zone key (e.g. ``江浙沪皖``, ``其他地区``, ``偏远地区``) a province falls in."""
    zones = list(zones)
    remote = set(remote_areas)
    if region == "偏远地区" or region in remote:
        return next((z for z in zones if "偏远" in z), None)
    for zone in zones:
        members = KNOWN_ZONES.get(zone)
        if members is not None and region in members:
            return zone
        if members is None and "地区" not in zone:
            abbr = PROVINCE_ABBR.get(region)
            if abbr and abbr in zone:
                return zone
    return next((z for z in zones if "其他" in z), None)


def region_in(region: str, areas: Iterable[str]) -> str | None:
    """The entry of `areas` (e.g. ``["港澳台", "海外"]``) that covers `region`, if any."""
    abbr = PROVINCE_ABBR.get(region)
    for area in areas:
        if area == region or region in area:
            return area
        members = KNOWN_ZONES.get(area)
        if members is not None and region in members:
            return area
        if abbr and members is None and len(area) <= 4 and abbr in area and "地区" not in area:
            return area
    return None
