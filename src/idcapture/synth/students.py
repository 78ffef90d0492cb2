"""Made-up school rosters for the demo, the tests and the benchmarks.

The people are invented: names are drawn from common family names and given-name
characters, ID numbers are built with :func:`idcapture.idnumbers.make_citizen_id`
(valid check character, birth date and sex agreeing with the number) for a real
region code, and nothing is taken from any real person.
"""

from __future__ import annotations

import datetime as _dt
import random

from ..idnumbers import make_citizen_id

__all__ = ["SAMPLE_REGIONS", "sample_students"]

_FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
_GIVEN_M = "伟强磊军洋勇杰涛明超鹏浩宇轩博文俊峰宁航辰晨睿泽"
_GIVEN_F = "芳娜敏静丽艳娟霞婷雪琳欣怡佳悦萱涵颖晴瑶雯诗琪"
_ETHNICITIES = ("汉",) * 18 + ("回", "壮", "满", "苗")

#: county-level region codes used for the made-up students (Guangzhou districts)
SAMPLE_REGIONS: tuple[str, ...] = ("440103", "440104", "440105", "440106", "440111", "440112")


def sample_students(count: int, *, seed: int = 2025, school_code: str = "4401060001",
                    school_name: str = "广州市示范中学", schools: int = 1,
                    birth_year: int = 2008, class_size: int = 40) -> list[dict[str, str]]:
    """``count`` made-up students as roster rows (field -> text).

    With ``schools > 1`` the students are spread over that many schools (codes
    counting up from ``school_code``). ID numbers are unique; student-status numbers
    are ``G`` + ID number, as the national system forms them.
    """
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    used: set[str] = set()
    start = _dt.date(birth_year, 1, 1)
    per_school = max(1, -(-count // schools))
    for i in range(count):
        male = rng.random() < 0.5
        while True:
            birth = start + _dt.timedelta(days=rng.randrange(365))
            region = rng.choice(SAMPLE_REGIONS)
            seq = rng.randrange(0, 999)
            if (seq % 2 == 1) != male:
                seq += 1
            number = make_citizen_id(region, birth, seq)
            if number not in used:
                used.add(number)
                break
        given = _GIVEN_M if male else _GIVEN_F
        name = rng.choice(_FAMILY) + "".join(rng.choice(given)
                                             for _ in range(rng.choice((1, 2))))
        s = i // per_school
        code = f"{int(school_code) + s:0{len(school_code)}d}"
        rows.append({
            "school_code": code,
            "school_name": school_name if s == 0 else f"{school_name}{s + 1}",
            "class_name": f"高一({(i % per_school) // class_size + 1})班",
            "name": name,
            "sex": "男" if male else "女",
            "ethnicity": rng.choice(_ETHNICITIES),
            "id_number": number,
            "student_no": "G" + number,
        })
    return rows
