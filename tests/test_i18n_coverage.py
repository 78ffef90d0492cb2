"""Every operator-facing message family goes through the catalogue.

A message an operator reads (an error the command line or a web page shows, a check's
message, a summary line of a station command, a prompt) is written in code as a
catalogue id: ``N_("...")`` (then ``.format(...)``), or printed through ``tr``. This
test finds the ones written as bare English text (a string or f-string handed to an
exception, a ``Check``, a refusal or a ``print``) in the modules operators meet; the
test in ``test_i18n.py`` then checks every ``N_`` id has its Chinese translation.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from idcapture.cli import main
from idcapture.i18n import localize

SRC = Path(__file__).resolve().parents[1] / "src" / "idcapture"

#: where operators meet messages: the command line, the station, the web frontend, the
#: face capture's guidance and liveness, the card and passport checks
OPERATOR_MODULES = [
    *sorted((SRC / "cli").glob("*.py")),
    *sorted((SRC / "station").glob("*.py")),
    *sorted((SRC / "web").glob("*.py")),
    SRC / "biometrics" / "face" / "guidance.py",
    SRC / "biometrics" / "face" / "liveness.py",
    SRC / "drivers" / "emrtd" / "passive_auth.py",
    SRC / "province" / "registry.py",
    *(SRC / "devices" / f"{name}.py" for name in ("base", "id_reader", "camera", "fingerprint")),
]

#: printed output that is for engineers, not operators (benchmark tables, device and
#: simulator tools, record dumps): the module, and why its print calls are left English
ENGINEERS_OUTPUT = {
    "face_evaluate.py": "accuracy evaluation tables for engineers",
    "finger_match.py": "matching benchmark tables for engineers",
    "finger_synth.py": "synthetic-print generator for testers",
    "finger_capture.py": "device tool for vendors (its retry line is translated)",
    "record_cmd.py": "record dump for engineers: field names and values",
    "core.py": "driver and device listing for integrators and vendors",
    "id_reader.py": "card reader tool for integrators",
    "demo.py": "demo walkthrough",
    "province_cmd.py": "province duplicate-search report for the exam authority's engineers",
}

#: messages that never reach an operator: programming errors of a caller of the library
#: (a wrong argument), or internal protocol errors of the frontend's own page scripts
NOT_FOR_OPERATORS = {
    ("card_fingerprint.py", "attempts must be at least 1"),
    ("live.py", "frame message is shorter than its header"),
    ("live.py", "frame message is shorter than its meta length says"),
    ("security.py", "an operator password must not be empty"),
    ("export_sink.py", "export aborted"),
    ("fingerprint.py", "driver returned a finger image that is not 2-D uint8"),  # a vendor's bug
    ("base.py", "unknown device kind {}"),
    ("guidance.py", "language must be one of {}, not {}"),
    # the frame of the command line's error lines (their words are translated)
    ("__init__.py", "idcapture: {}: {}"),
    ("__init__.py", "idcapture: {}"),
}

#: argparse reports a bad option value (``ArgumentTypeError``) inside its own English
#: usage message, which the standard library does not translate
_ARGPARSE = "ArgumentTypeError"

#: calls whose first argument (or ``message`` keyword) is a message for the operator
_MESSAGE_CALLS = ("fail", "Check", "refusal", "BadRequest")


def _text(node: ast.expr) -> str | None:
    """The English text of a literal or f-string argument (``{}`` for each value)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _is_prose(text: str) -> bool:
    """Words an operator reads (not an identifier, a separator or a bare value)."""
    return " " in text.strip() and sum(c.isalpha() for c in text) >= 4


def _called(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _bare_messages(path: Path) -> list[str]:
    """``file:line: text`` of every message in ``path`` written as bare English."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    marked: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in ("N_", "NC_", "tr"):
            marked.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "message")]
        if name == "Check":
            args = [*node.args[2:3], *(k.value for k in node.keywords if k.arg == "message")]
        if name == "print" and path.name in ENGINEERS_OUTPUT:
            continue
        if not (name.endswith("Error") or name in _MESSAGE_CALLS or name == "print") \
                or name == _ARGPARSE:
            continue
        for arg in args:
            text = _text(arg)
            if text is None or id(arg) in marked or not _is_prose(text):
                continue
            if (path.name, text) in NOT_FOR_OPERATORS:
                continue
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {text[:80]}")
    return found


def test_operator_messages_are_catalogue_ids_not_bare_english() -> None:
    bare = [m for path in OPERATOR_MODULES for m in _bare_messages(path)]
    assert not bare, "\n".join(bare)


def test_the_scan_finds_a_bare_message(tmp_path: Path) -> None:
    """The scan itself: a bare message is found, a marked one is not."""
    (tmp_path / "x.py").write_text(
        "raise ConfigError(f'no station store in {folder}')\n"
        "raise ConfigError(N_('no station store in {folder}').format(folder=f))\n"
        "print(f'{n} records exported to {p}')\n"
        "print(tr(N_('{n} records exported')).format(n=1))\n"
        "Check('x', CheckOutcome.PASSED, 'every field read here', now)\n", encoding="utf-8")
    global SRC
    saved, SRC = SRC, tmp_path
    try:
        found = _bare_messages(tmp_path / "x.py")
    finally:
        SRC = saved
    assert [f.split(":")[1] for f in found] == ["1", "3", "5"]


@pytest.mark.parametrize(("english", "chinese"), [
    ("right-thumb: too few usable minutiae to compare (3 found)",
     "右手拇指：可用的细节特征点太少，无法比对（找到 3 个）"),
    ("left-thumb matches the right-thumb enrolled for another student (record 1a2b3c4d, "
     "score 61, threshold 40)",
     "左手拇指与另一名考生已登记的右手拇指匹配（记录 1a2b3c4d，分数 61，阈值 40）"),
    ("no head turn within 120 frames", "120 帧内未看到转头"),
    ("unknown decision 'perhaps'; one of same-person, different-people",
     "未知的裁定 'perhaps'；可选：same-person, different-people"),
    ("the SOD signature cannot be checked: bad key", "无法检查 SOD 签名：bad key"),
    ("--kinds wants KIND=N,..., not 'x'", "--kinds 的格式应为 类型=数量,...，而不是 'x'"),
    ("timed out after 0.5 s waiting for a card to be placed on the sam-serial reader; a card "
     "left on the reader since it was last read is not found again: lift the card and place "
     "it again", "等待 0.5 秒后超时：sam-serial 读卡器上没有放置证件；上次读取后一直留在读卡器上的"
     "证件不会被再次发现：请拿起证件后重新放置"),
    ("blobs/0123456789ab...: blob file is missing from the store",
     "blobs/0123456789ab...：数据库中缺少该数据文件"),
])
def test_message_families_named_in_review_are_translated(english: str, chinese: str) -> None:
    assert localize(english, "zh") == chinese


def test_every_capture_step_has_a_chinese_name() -> None:
    from idcapture.biometrics.face.autocapture import CaptureState
    from idcapture.i18n import catalogue_entries
    from idcapture.station.events import SessionState

    named = {(e.msgctxt, e.msgid) for e in catalogue_entries("zh") if e.translated}
    assert [s.value for s in SessionState if ("step", s.value) not in named] == []
    assert [s.value for s in CaptureState if ("face-step", s.value) not in named] == []


def test_liveness_prompts_come_from_the_catalogue() -> None:
    from idcapture.biometrics.face import challenge_prompt

    assert challenge_prompt("turn", "zh") == "请慢慢把头向一侧转一点，再转回来"
    assert challenge_prompt("blink", "en") == "Blink your eyes"
    source = (SRC / "biometrics" / "face" / "liveness.py").read_text(encoding="utf-8")
    assert "眨" not in source  # the Chinese lives in the catalogue only


def test_cli_errors_and_summaries_in_chinese(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "zh", "province", "synth", str(tmp_path / "p"), "--students", "4",
                 "--kinds", "bogus"]) == 1
    assert "--kinds 的格式应为" in capsys.readouterr().err
    assert main(["--lang", "zh", "station", "serve", "--store", str(tmp_path / "s"),
                 "--host", "192.0.2.1"]) == 1
    err = capsys.readouterr().err
    assert "没有采集站数据库" in err or "拒绝在 192.0.2.1 上提供服务" in err
    st = str(tmp_path / "st")
    assert main(["--lang", "zh", "station", "init", "--store", st, "--region", "440106",
                 "--year", "2025"]) == 0
    assert f"已在 {st} 创建采集站数据库" in capsys.readouterr().out
    assert main(["--lang", "zh", "station", "export", "--store", st,
                 str(tmp_path / "pkg.zip")]) == 0
    out = capsys.readouterr().out
    assert "已导出 0 条记录到" in out and "records exported" not in out
