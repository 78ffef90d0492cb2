"""The operators' words: one gettext catalogue for the command line and the web frontend."""

from __future__ import annotations

import ast
import gettext
import io
import re
from pathlib import Path

import pytest

from idcapture.cli import main
from idcapture.errors import RetryReason
from idcapture.i18n import (
    catalogue_entries,
    check_label,
    language_from_locale,
    localize,
    translations,
)
from idcapture.i18n.po import PoError, mo_bytes, parse_po
from idcapture.record import CheckOutcome, FingerPosition

SRC = Path(__file__).resolve().parents[1] / "src" / "idcapture"
_FIELD = re.compile(r"\{(\w+)")


def _code_ids() -> set[tuple[str | None, str]]:
    """(context, id) of every message the code uses: N_/NC_/tr literals, page keys in the
    templates and the page script, and the check names the library sets."""
    found: set[tuple[str | None, str]] = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                args = [a.value for a in node.args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if node.func.id in ("N_", "tr") and len(args) == 1:
                    found.add((None, args[0]))
                elif node.func.id == "NC_" and len(args) == 2:
                    found.add((args[0], args[1]))
                elif node.func.id == "Check" and args:
                    found.add(("check", args[0]))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                    isinstance(t, ast.Name) and t.id in ("NAME", "CHECK_NAME")
                    for t in node.targets) and isinstance(node.value.value, str):
                found.add(("check", node.value.value))
    web = SRC / "web"
    for page in [*(web / "templates").glob("*.html"), web / "static" / "app.js"]:
        for key in re.findall(r"(?<![\w.])t\(\s*['\"]([a-z_]+(?:\.[a-z0-9_-]+)+)['\"]\s*\)",
                              page.read_text(encoding="utf-8")):
            found.add((None, key))
    return found


def _zh() -> dict[tuple[str | None, str], str]:
    return {(e.msgctxt, e.msgid): e.msgstr[0] for e in catalogue_entries("zh")
            if e.msgid and e.translated}


def test_every_message_id_used_in_code_has_a_chinese_translation() -> None:
    ids = _code_ids()
    assert len(ids) > 150  # the pages' keys, the station's messages, the check names
    assert (None, "sex does not agree with the ID number") in ids
    assert ("check", "finger-quality") in ids and (None, "nav.today") in ids
    zh = _zh()
    missing = sorted(f"{c or ''}|{m}" for c, m in ids if (c, m) not in zh)
    assert not missing, missing


def test_every_finger_retry_reason_and_outcome_has_a_chinese_name() -> None:
    zh = _zh()
    wanted = [("finger", p.slug) for p in FingerPosition] + \
        [("retry", r.value) for r in RetryReason] + \
        [("outcome", o.value) for o in CheckOutcome]
    assert [w for w in wanted if w not in zh] == []


def test_translations_keep_every_placeholder() -> None:
    for e in catalogue_entries("zh"):
        if e.msgid and e.translated and e.msgctxt != "check-at":  # {finger} added there
            assert set(_FIELD.findall(e.msgid)) == set(_FIELD.findall(e.msgstr[0])), e.msgid


def test_every_page_key_is_in_both_catalogues() -> None:
    keys = {e.msgid for e in catalogue_entries("en") if e.msgid}
    zh = {e.msgid for e in catalogue_entries("zh") if e.translated}
    assert keys and keys <= zh


def test_the_compiled_catalogue_reads_back_through_stdlib_gettext() -> None:
    entries = catalogue_entries("zh")
    t = gettext.GNUTranslations(io.BytesIO(mo_bytes(entries)))
    assert t.info()["language"] == "zh"
    for e in entries:
        if not e.msgid:
            continue
        got = t.gettext(e.msgid) if e.msgctxt is None else t.pgettext(e.msgctxt, e.msgid)
        assert got == e.msgstr[0], e.msgid


def test_po_reader_handles_plurals_contexts_escapes_and_fuzzy() -> None:
    text = ('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n'
            '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
            '#, fuzzy\nmsgid "draft"\nmsgstr "草稿"\n\n'
            'msgctxt "finger"\nmsgid "thumb"\nmsgstr "拇指"\n\n'
            'msgid "a \\"quoted\\"\\n"\n"continued"\nmsgstr "引号"\n\n'
            'msgid "one file"\nmsgid_plural "{n} files"\nmsgstr[0] "{n} 个文件"\n')
    entries = parse_po(text)
    assert [e.msgid for e in entries] == ["", "draft", "thumb", 'a "quoted"\ncontinued',
                                          "one file"]
    t = gettext.GNUTranslations(io.BytesIO(mo_bytes(entries)))
    assert t.gettext("draft") == "draft"  # fuzzy: not used
    assert t.pgettext("finger", "thumb") == "拇指"
    assert t.gettext('a "quoted"\ncontinued') == "引号"
    assert t.ngettext("one file", "{n} files", 3) == "{n} 个文件"
    with pytest.raises(PoError, match="line 2"):
        parse_po('msgid "x"\nmsgstr unquoted\n')


@pytest.mark.parametrize(("english", "chinese"), [
    ("row 3, column E (sex): sex does not agree with the ID number",
     "第 3 行，第 E 列（性别）：性别与身份证号不符"),
    ("right-thumb: too dark (quality 0) (attempt 1): try again",
     "右手拇指：太深（手指太湿或按压太重）（质量分 0）（第 1 次）：请重试"),
    ("the card gave no decoded photo to compare with", "证件没有可解码的照片，无法比对"),
    ("right-thumb taken (warning: right-thumb is the same image as this student's "
     "left-thumb): review and save the record",
     "右手拇指已采集（警告：右手拇指 与该学生的左手拇指图像相同）：请核对并保存记录"),
    ("ID number 440104********9233: check character does not match (ISO/IEC 7064 MOD "
     "11-2); sex on the card differs from the parity of the sequence code",
     "身份证号 440104********9233：校验码不符（ISO/IEC 7064 MOD 11-2）；证件上的性别与顺序码的"
     "奇偶不符"),
    ("a message the catalogue does not know", "a message the catalogue does not know"),
])
def test_messages_made_from_templates_are_translated_with_their_values(
        english: str, chinese: str) -> None:
    assert localize(english, "zh") == chinese
    assert localize(english, "en") == english


def test_check_names() -> None:
    assert check_label("finger-quality:right-thumb", "zh") == "指纹质量：右手拇指"
    assert check_label("face-vs-card", "zh") == "人证比对"
    assert check_label("face-vs-card", "en") == "Face against the card photo"
    assert check_label("finger-quality:right-thumb", "en") == "Right thumb quality"
    assert check_label("finger-duplicate:left-index", "en") == "Left index finger duplicate search"


def test_every_check_and_finger_has_a_readable_english_name() -> None:
    en = {(e.msgctxt, e.msgid) for e in catalogue_entries("en") if e.translated}
    wanted = [k for k in _zh() if k[0] in ("check", "finger")]
    assert len(wanted) > 20
    assert [w for w in wanted if w not in en] == []


def test_language_from_the_locale() -> None:
    assert language_from_locale({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert language_from_locale({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert language_from_locale({"LANGUAGE": "zh_TW:en"}) == "zh"
    assert language_from_locale({}) == "en"
    assert translations("zh").gettext("nav.today") == "今日"


def test_cli_speaks_the_chosen_language(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from idcapture.formats.roster import write_roster
    from idcapture.synth.students import sample_students

    rows = sample_students(3, seed=9)
    rows[1]["sex"] = "女" if rows[1]["sex"] == "男" else "男"
    write_roster(tmp_path / "r.xlsx", rows)
    st = str(tmp_path / "st")
    assert main(["station", "init", "--store", st, "--region", "440106", "--year", "2025"]) == 0
    assert main(["--lang", "zh", "station", "import-roster", str(tmp_path / "r.xlsx"),
                 "--store", st]) == 1
    out = capsys.readouterr().out
    assert "性别与身份证号不符" in out and "sex does not agree" not in out
    # no --lang: the locale decides
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["finger", "dedup", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err.startswith("idcapture: 错误: ")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["station", "import-roster", str(tmp_path / "r.xlsx"), "--store", st]) == 1
    assert "sex does not agree with the ID number" in capsys.readouterr().out


def test_cli_errors_are_in_the_chosen_language(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["--lang", "zh", "finger", "dedup", str(missing)]) != 0
    err = capsys.readouterr().err
    assert "不是文件夹：" in err and "not a folder" not in err
    assert main(["--lang", "en", "finger", "dedup", str(missing)]) != 0
    assert "not a folder: " in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["--lang", "zh", "finger", "dedup", str(tmp_path / "empty")]) != 0
    assert "中没有指纹图像、模板或采集站数据库" in capsys.readouterr().err


@pytest.mark.parametrize(("english", "chinese"), [
    ("fields that could not be read: birth_date, sex", "无法读取的字段：出生日期，性别"),
    ("every field read", "所有字段均已读取"),
    ("data group(s) DG1, DG2 do not match the hashes the issuer signed",
     "数据组 DG1, DG2 与签发机构签名的摘要不符"),
    ("3 data group(s) match the SOD, signed by a trusted document signer",
     "3 个数据组与 SOD 一致，由受信任的证件签名者签署"),
])
def test_card_text_and_passport_chip_messages(english: str, chinese: str) -> None:
    assert localize(english, "zh") == chinese
