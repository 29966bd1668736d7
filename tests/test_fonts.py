"""Every script legible: one font fallback list for CSS and figures, and a warning instead of silent boxes.

Korean, Chinese, Japanese, Arabic, Hebrew (right to left) and emoji e-mails are rendered to PDF and
the PDF's own fonts are read back: every character must map to a real glyph of an embedded font.
Tests that need the CJK and emoji fonts of `.ci/run` skip with a reason where they are absent.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen import fonts
from reportgen.results.io import save_results
from tests.results_fixture import make_results

ROOT = Path(__file__).resolve().parents[1]

#: One e-mail per script (Korean, Chinese, Japanese, Arabic, Hebrew, emoji), as EDP-like mail.
SCRIPT_TEXTS = {
    "Korean": "광고: 무료 당첨을 축하드립니다! 지금 클릭하세요",
    "Chinese": "会议纪要：请查收附件中的发票，谢谢。",
    "Japanese": "本日の会議は午後三時からです。よろしくお願いします",
    "Arabic": "مبروك! لقد ربحت جائزة، اضغط هنا الآن",
    "Hebrew": "שלום, הפגישה נדחתה למחר בעשר",
    "emoji": "🎉 You won! 🚀 Claim your 💰 now 😀",
}
#: A word of each e-mail that the PDF text must contain.
SCRIPT_WORDS = {"Korean": "축하드립니다", "Chinese": "会议纪要", "Japanese": "よろしくお願いします",
                "Arabic": "جائزة", "Hebrew": "הפגישה", "emoji": "🚀"}


def _hide_fonts(monkeypatch: pytest.MonkeyPatch, families: tuple[str, ...] = ("DejaVu Sans",)) -> None:
    """Pretend only ``families`` are installed (DejaVu Sans: matplotlib ships it, so it always is)."""
    monkeypatch.setattr(fonts, "FONT_FAMILIES", families)


def _fonts_for_every_script() -> bool:
    return not fonts.missing_scripts(SCRIPT_TEXTS.values())


needs_fonts = pytest.mark.skipif(
    not _fonts_for_every_script(),
    reason="needs a CJK font and an emoji font (Debian fonts-wqy-microhei fonts-symbola; .ci/run installs them); "
           f"missing here: {', '.join(fonts.missing_scripts(SCRIPT_TEXTS.values()))}",
)


# --------------------------------------------------------------------------- one list, two renderers


def test_stylesheet_and_figures_use_the_same_fallback_list() -> None:
    from reportgen.report.figures import style
    from reportgen.report.render import report_css

    css = report_css()
    declared = re.search(r"html\s*\{[^}]*?font-family:\s*([^;]+);", css).group(1)
    families = [name.strip().strip('"') for name in declared.split(",")]
    assert families == [*fonts.FONT_FAMILIES, "sans-serif"]
    drawn = style.STYLE["font.family"]
    assert drawn[0] == "DejaVu Sans" and drawn == fonts.figure_families()
    assert [f for f in fonts.FONT_FAMILIES if f in drawn] == drawn  # installed ones, in the list's order


def test_figure_label_widths_use_the_fallback_fonts() -> None:
    """CJK glyphs are a full em wide: measured in the fallback font, not as DejaVu's narrower box."""
    from reportgen.report.figures import style

    if not {"WenQuanYi Micro Hei", "Noto Sans CJK JP", "Droid Sans Fallback"} & set(fonts.figure_families()):
        pytest.skip("no CJK font installed (Debian fonts-wqy-microhei)")
    four_ideographs = style.text_width_cm(["会议纪要"], 10)
    assert four_ideographs == pytest.approx(1.05 * 4 * 10 / 72 * 2.54, rel=0.05)  # 4 em at 10 pt, +5 %
    assert four_ideographs > 1.3 * style.text_width_cm(["abcd"], 10)


# ----------------------------------------------------------------------------------- the check


def test_missing_scripts_names_each_script_without_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_fonts(monkeypatch)
    # DejaVu Sans has Arabic and Hebrew (and 😀), but no CJK and not 🎉.
    assert fonts.missing_scripts(SCRIPT_TEXTS.values()) == [
        "Hangul", "Han", "CJK punctuation", "Hiragana", "emoji",
    ]


def test_latin_cyrillic_greek_and_invisible_characters_need_no_other_font(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_fonts(monkeypatch)
    texts = ["Größe – “ok” €5", "Привет, мир", "Καλημέρα", "e\u0301", "a\u200db", "\u2764\ufe0f", "tab\tand\nnewline"]
    assert fonts.missing_scripts(texts) == []
    assert fonts.missing_font_note(texts) is None


def test_note_is_one_line_naming_scripts_languages_and_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_fonts(monkeypatch)
    note = fonts.missing_font_note([SCRIPT_TEXTS["Korean"], SCRIPT_TEXTS["emoji"]])
    assert note is not None and "\n" not in note
    assert note.startswith("Hangul (Korean) and emoji text shows as empty boxes")
    assert "U+AD11" in note  # 광, the first character without a glyph
    assert "fonts-wqy-microhei" in note and "fonts-symbola" in note


@needs_fonts
def test_ci_fonts_cover_every_script_of_the_test_mail() -> None:
    assert fonts.missing_scripts(SCRIPT_TEXTS.values()) == []
    assert fonts.missing_font_note(SCRIPT_TEXTS.values()) is None


def test_render_warns_once_and_notes_it_in_the_report_not_in_results_json(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from reportgen.cli import main

    _hide_fonts(monkeypatch)
    save_results(make_results(2, n_predictions=4, texts=list(SCRIPT_TEXTS.values())[:2]), tmp_path / "results.json")
    result = CliRunner().invoke(main, ["render", str(tmp_path / "results.json"), "--out", str(tmp_path / "r"),
                                       "--format", "html,json", "--deterministic"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert all(name in warnings[0] for name in ("Hangul (Korean)", "Han (Chinese/Japanese)", "CJK punctuation"))
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert html.count("text shows as empty boxes") == 1
    assert "none of the report&#39;s fonts has these characters" in html
    # Fonts belong to the machine that renders: results.json stays the analysis' record.
    assert "empty boxes" not in (tmp_path / "r" / "results.json").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------- the PDF


def glyphless_characters(pdf: Path) -> set[str]:
    """Characters a PDF draws without a glyph (the empty box), read from its embedded fonts.

    Each font's ToUnicode map gives the glyph id (CID; WeasyPrint maps CIDs to glyph ids 1:1) of
    every character drawn. Characters no font had get id 0 (.notdef) or an id past the embedded
    font's last glyph.
    """
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    drawn: set[str] = set()
    boxes: set[str] = set()
    seen: set[int] = set()
    for page in PdfReader(pdf).pages:
        for reference in page["/Resources"].get("/Font", {}).values():
            if reference.idnum in seen:
                continue
            seen.add(reference.idnum)
            font = reference.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            n_glyphs = TTFont(io.BytesIO(program.get_object().get_data()), lazy=True)["maxp"].numGlyphs
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for section in re.findall(r"beginbfchar(.*?)endbfchar", cmap, flags=re.S):
                for cid, utf16 in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
                    chars = bytes.fromhex(utf16).decode("utf-16-be", errors="replace")
                    (drawn if 0 < int(cid, 16) < n_glyphs else boxes).update(chars)
    return boxes - drawn


@pytest.fixture(scope="module")
def script_texts_results() -> dict:
    # Two e-mails of three scripts each keep the PDF small (font subsetting dominates its time).
    texts = list(SCRIPT_TEXTS.values())
    return make_results(2, n_predictions=4, texts=[" ".join(texts[:3]), " ".join(texts[3:])])


@needs_fonts
def test_pdf_has_a_glyph_for_every_script(script_texts_results: dict, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from pypdf import PdfReader

    from reportgen.report.render import render_report

    written = render_report(script_texts_results, tmp_path, ("html", "pdf"), deterministic=True)
    assert "warning:" not in capsys.readouterr().err
    text = "".join(page.extract_text() for page in PdfReader(written["pdf"]).pages)
    for script, word in SCRIPT_WORDS.items():
        assert word in text, f"{script}: {word!r} missing from the PDF text"
    every_character = {c for t in SCRIPT_TEXTS.values() for c in t if fonts._needs_glyph(c) and not c.isascii()}
    assert not glyphless_characters(written["pdf"]) & every_character
    html = written["html"].read_text(encoding="utf-8")
    assert all(word in html for word in SCRIPT_WORDS.values())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("fc-list") is None, reason="needs fontconfig's fc-list (Debian fontconfig)")
@needs_fonts
def test_with_the_fonts_hidden_the_pdf_has_boxes_and_the_report_says_so(
        script_texts_results: dict, tmp_path: Path) -> None:
    """The whole machine without CJK/emoji fonts: fontconfig (WeasyPrint) and matplotlib see DejaVu only.

    Also shows that :func:`glyphless_characters` does see boxes, so the test above can fail.
    """
    import matplotlib

    dejavu = tmp_path / "dejavu"  # matplotlib's own DejaVu Sans (its folder also has STIX, which has some kana)
    dejavu.mkdir()
    for font in (Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("DejaVuSans*.ttf"):
        (dejavu / font.name).symlink_to(font)
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{dejavu}</dir>'
                      f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>\n', encoding="utf-8")
    save_results(script_texts_results, tmp_path / "results.json")
    # fontconfig (WeasyPrint) reads only matplotlib's DejaVu folder; matplotlib, with a fresh font
    # cache, ignores the system's fonts and keeps its own (DejaVu).
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "MPLCONFIGDIR": str(tmp_path / "mpl"),
           "MPL_IGNORE_SYSTEM_FONTS": "1", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-m", "reportgen", "render", str(tmp_path / "results.json"),
                          "--out", str(tmp_path / "r"), "--format", "html,pdf", "--deterministic"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and all(name in warnings[0] for name in ("Hangul (Korean)", "Hiragana", "emoji"))
    boxes = glyphless_characters(tmp_path / "r" / "report.pdf")
    assert {"광", "会", "の", "🚀"} <= boxes
    assert not {"ש", "ج"} & boxes  # DejaVu Sans has Hebrew and Arabic
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "text shows as empty boxes" in html
