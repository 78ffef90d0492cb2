"""Code tables of the card's text block: sex (GB/T 2261.1), ethnic group (GB/T 3304)
and nationality (GB/T 2659, the alpha-3 and numeric codes of ISO 3166-1)."""

from __future__ import annotations

from ...record import Sex

__all__ = [
    "ETHNIC_GROUPS",
    "ETHNIC_VARIANTS",
    "NATIONALITIES",
    "NATIONALITY_BY_NUMERIC",
    "SEX_CODES",
    "ethnic_code_for",
    "ethnic_name",
    "nationality_name",
    "sex_code",
    "sex_from_code",
]

#: GB/T 2261.1 sex codes
SEX_CODES: dict[str, Sex] = {
    "0": Sex.UNKNOWN,
    "1": Sex.MALE,
    "2": Sex.FEMALE,
    "9": Sex.UNSPECIFIED,
}

#: GB/T 3304 ethnic groups: code -> full name (the card prints it without the 族 suffix)
ETHNIC_GROUPS: dict[str, str] = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族",
    "06": "苗族", "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族",
    "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族", "15": "土家族",
    "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族",
    "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族",
    "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族", "30": "土族",
    "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族", "35": "撒拉族",
    "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族",
    "46": "德昂族", "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族",
    "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族", "54": "门巴族", "55": "珞巴族",
    "56": "基诺族",
    "97": "其他",
    "98": "外国血统中国籍人士",
}

#: names seen in SDKs that are accepted on input but never emitted
ETHNIC_VARIANTS: dict[str, str] = {
    "毛难": "36", "毛难族": "36", "崩龙": "46", "崩龙族": "46", "达翰尔": "31",
    "达翰尔族": "31", "德昴": "46", "德昴族": "46", "外国血统": "98", "外国人入籍": "98",
    "入籍": "98", "其它": "97",
}

#: GB/T 2659 alpha-3 -> (numeric, English name, Chinese name), the nationalities most
#: often seen on permanent residence cards; other codes are kept as read.
NATIONALITIES: dict[str, tuple[str, str, str]] = {
    "AFG": ("004", "Afghanistan", "阿富汗"), "ARG": ("032", "Argentina", "阿根廷"),
    "AUS": ("036", "Australia", "澳大利亚"), "AUT": ("040", "Austria", "奥地利"),
    "BEL": ("056", "Belgium", "比利时"), "BGD": ("050", "Bangladesh", "孟加拉国"),
    "BRA": ("076", "Brazil", "巴西"), "CAN": ("124", "Canada", "加拿大"),
    "CHE": ("756", "Switzerland", "瑞士"), "CHL": ("152", "Chile", "智利"),
    "DEU": ("276", "Germany", "德国"), "DNK": ("208", "Denmark", "丹麦"),
    "EGY": ("818", "Egypt", "埃及"), "ESP": ("724", "Spain", "西班牙"),
    "FIN": ("246", "Finland", "芬兰"), "FRA": ("250", "France", "法国"),
    "GBR": ("826", "United Kingdom", "英国"), "GRC": ("300", "Greece", "希腊"),
    "IDN": ("360", "Indonesia", "印度尼西亚"), "IND": ("356", "India", "印度"),
    "IRL": ("372", "Ireland", "爱尔兰"), "IRN": ("364", "Iran", "伊朗"),
    "ISR": ("376", "Israel", "以色列"), "ITA": ("380", "Italy", "意大利"),
    "JPN": ("392", "Japan", "日本"), "KAZ": ("398", "Kazakhstan", "哈萨克斯坦"),
    "KEN": ("404", "Kenya", "肯尼亚"), "KGZ": ("417", "Kyrgyzstan", "吉尔吉斯斯坦"),
    "KHM": ("116", "Cambodia", "柬埔寨"), "KOR": ("410", "Republic of Korea", "韩国"),
    "LAO": ("418", "Lao PDR", "老挝"), "MEX": ("484", "Mexico", "墨西哥"),
    "MMR": ("104", "Myanmar", "缅甸"), "MNG": ("496", "Mongolia", "蒙古"),
    "MYS": ("458", "Malaysia", "马来西亚"), "NGA": ("566", "Nigeria", "尼日利亚"),
    "NLD": ("528", "Netherlands", "荷兰"), "NOR": ("578", "Norway", "挪威"),
    "NPL": ("524", "Nepal", "尼泊尔"), "NZL": ("554", "New Zealand", "新西兰"),
    "PAK": ("586", "Pakistan", "巴基斯坦"), "PHL": ("608", "Philippines", "菲律宾"),
    "POL": ("616", "Poland", "波兰"), "PRK": ("408", "DPR Korea", "朝鲜"),
    "PRT": ("620", "Portugal", "葡萄牙"), "RUS": ("643", "Russian Federation", "俄罗斯"),
    "SAU": ("682", "Saudi Arabia", "沙特阿拉伯"), "SGP": ("702", "Singapore", "新加坡"),
    "SWE": ("752", "Sweden", "瑞典"), "THA": ("764", "Thailand", "泰国"),
    "TUR": ("792", "Türkiye", "土耳其"), "UKR": ("804", "Ukraine", "乌克兰"),
    "USA": ("840", "United States", "美国"), "UZB": ("860", "Uzbekistan", "乌兹别克斯坦"),
    "VNM": ("704", "Viet Nam", "越南"), "ZAF": ("710", "South Africa", "南非"),
}

#: GB/T 2659 numeric -> alpha-3 (the 2023 card number embeds the numeric code)
NATIONALITY_BY_NUMERIC: dict[str, str] = {v[0]: k for k, v in NATIONALITIES.items()}


def sex_from_code(code: str) -> Sex | None:
    """The :class:`Sex` of a GB/T 2261.1 code, ``None`` when the code is not in the table."""
    return SEX_CODES.get(code.strip())


def sex_code(sex: Sex) -> str:
    """The GB/T 2261.1 code of ``sex``."""
    return {Sex.UNKNOWN: "0", Sex.MALE: "1", Sex.FEMALE: "2", Sex.UNSPECIFIED: "9"}[sex]


def ethnic_name(code: str, *, short: bool = True) -> str | None:
    """The name of ethnic group ``code`` (``"01"`` -> ``"汉"``; ``short=False`` -> ``"汉族"``)."""
    code = code.strip()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    full = ETHNIC_GROUPS.get(code)
    if full is None:
        return None
    if short and full.endswith("族"):
        return full[:-1]
    return full


def ethnic_code_for(name: str) -> str | None:
    """The code of an ethnic-group name, accepting short, full and variant spellings."""
    name = name.strip()
    for code, full in ETHNIC_GROUPS.items():
        if name in (full, full[:-1] if full.endswith("族") else full):
            return code
    return ETHNIC_VARIANTS.get(name)


def nationality_name(code: str, *, chinese: bool = False) -> str | None:
    """The country name of an alpha-3 or numeric GB/T 2659 code, if the table has it."""
    code = code.strip().upper()
    if code.isdigit():
        code = NATIONALITY_BY_NUMERIC.get(code.zfill(3), "")
    entry = NATIONALITIES.get(code)
    if entry is None:
        return None
    return entry[2] if chinese else entry[1]
