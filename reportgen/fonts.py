"""Fonts for every script in the data: one fallback list, and a check of which scripts it cannot draw.

MMTD is multilingual (EDP holds Chinese, Korean and Japanese mail next to European languages). The
report's stylesheet (WeasyPrint, ``static/report.css``) and the figures (matplotlib's per-glyph font
fallback) use the same ordered family list, :data:`FONT_FAMILIES`. Characters that none of the
installed families covers are drawn as empty boxes; :func:`missing_scripts` finds them before
rendering (FreeType reads each font's character map, fontTools names the scripts) so the report can
say so instead of showing boxes in silence.

The coverage checked is that of the families matplotlib can draw with, in this process: the figures
only ever use those. WeasyPrint (through fontconfig, which normally sees the same system fonts) may
find a further installed font for a character, so the PDF can be better than the check says. The
HTML is drawn with the fonts of whoever opens it.

No torch here: the module is used by ``reportgen render`` too.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

#: Font families in fallback order, for the stylesheet and the figures. Each entry says which
#: characters it is there for and (Debian/Ubuntu) which package installs it.
FONT_FAMILIES: tuple[str, ...] = (
    "DejaVu Sans",          # Latin, Greek, Cyrillic, Arabic, Hebrew, some emoji (fonts-dejavu-core; matplotlib ships it)
    "Noto Sans", "Liberation Sans", "Arial",  # Latin where DejaVu is not installed (a browser on macOS/Windows)
    "WenQuanYi Micro Hei",  # Chinese, Japanese, Korean in 5 MB (fonts-wqy-microhei): the one CI installs
    "Noto Sans CJK JP",     # all of CJK, incl. the Japanese punctuation WenQuanYi lacks (fonts-noto-cjk, 90 MB)
    "Droid Sans Fallback",  # CJK extension A (fonts-droid-fallback)
    "Noto Sans Arabic",     # Urdu and other Arabic-script letters DejaVu lacks (fonts-noto-core)
    "Noto Sans Hebrew",     # (fonts-noto-core)
    "Symbola",              # emoji and symbols as outlines, usable by matplotlib too (fonts-symbola)
    # The same scripts on macOS and Windows.
    "PingFang SC", "Hiragino Sans", "Apple SD Gothic Neo", "Microsoft YaHei", "Yu Gothic", "Malgun Gothic",
)
# No colour emoji font is listed: they also have glyphs for the digits 0-9, and Pango, once one is
# named, draws every digit of the report as a wide emoji-font digit. Pango still takes colour emoji
# (Noto Color Emoji) for real emoji by itself; matplotlib cannot draw these bitmap fonts anyway.

#: Unicode blocks whose characters (script "Common") are emoji.
EMOJI_BLOCKS = frozenset({
    "Emoticons", "Miscellaneous Symbols and Pictographs", "Transport and Map Symbols",
    "Supplemental Symbols and Pictographs", "Symbols and Pictographs Extended-A", "Enclosed Alphanumeric Supplement",
    "Enclosed Ideographic Supplement", "Playing Cards", "Mahjong Tiles", "Domino Tiles", "Dingbats",
    "Miscellaneous Symbols", "Regional Indicator Symbols",
})
EMOJI = "emoji"
#: Unicode blocks of punctuation and symbols used with Chinese, Japanese and Korean (script "Common").
CJK_PUNCTUATION_BLOCKS = frozenset({
    "CJK Symbols and Punctuation", "Halfwidth and Fullwidth Forms", "CJK Compatibility Forms", "Vertical Forms",
    "Small Form Variants", "CJK Compatibility", "Enclosed CJK Letters and Months",
})
CJK_PUNCTUATION = "CJK punctuation"

#: The language(s) a reader knows a script by, for the note.
_LANGUAGES = {
    "Hangul": "Korean", "Han": "Chinese/Japanese", "Hiragana": "Japanese", "Katakana": "Japanese",
    "Arabic": "Arabic", "Hebrew": "Hebrew", "Thai": "Thai", "Devanagari": "Hindi", "Bengali": "Bengali",
    "Tamil": "Tamil", "Greek": "Greek", "Cyrillic": "Russian etc.",
}
_CJK = frozenset({"Hangul", "Han", "Hiragana", "Katakana", "Bopomofo", CJK_PUNCTUATION})
#: Debian/Ubuntu packages that cover a script; anything else: fonts-noto-core (Noto for ~100 scripts).
_PACKAGES = {**{script: "fonts-wqy-microhei (or fonts-noto-cjk)" for script in _CJK}, EMOJI: "fonts-symbola"}


def figure_families() -> list[str]:
    """The families of :data:`FONT_FAMILIES` that matplotlib can draw with here, in fallback order.

    For ``rcParams["font.family"]``: matplotlib ≥ 3.6 takes each glyph from the first family that
    has it. Families that are not installed are left out (matplotlib would log a warning for each).
    DejaVu Sans is always first: matplotlib ships it.
    """
    return list(_drawable(FONT_FAMILIES))


@functools.cache
def _drawable(families: tuple[str, ...]) -> tuple[str, ...]:
    known = _font_entries()
    found = [family for family in families if family in known]
    return tuple(["DejaVu Sans"] + [family for family in found if family != "DejaVu Sans"])


@functools.cache
def _font_entries() -> dict[str, tuple[str, int]]:
    """``{family: (file, face index)}`` of every font matplotlib knows, regular faces preferred.

    matplotlib caches its font list on first use (``~/.cache/matplotlib``) and never looks again, so
    a font installed later (``apt-get install fonts-wqy-microhei``) would stay invisible to the
    figures. Fonts the system lists (fontconfig) but the cache lacks are added to this process's
    font manager first.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    cached = {entry.fname for entry in manager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in cached:
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # unreadable or bitmap-only: matplotlib skips it too
                pass
    entries: dict[str, tuple[str, int]] = {}
    best: dict[str, int] = {}
    for entry in manager.ttflist:
        # Regular upright faces first; any face of a family has (nearly) the same character map.
        weight = int(entry.weight) if str(entry.weight).isdigit() else 400
        rank = abs(weight - 400) + (1000 if entry.style != "normal" else 0)
        if entry.name not in best or rank < best[entry.name]:
            best[entry.name] = rank
            entries[entry.name] = (str(entry.fname), int(getattr(entry, "index", 0) or 0))
    return entries


@functools.lru_cache(maxsize=None)
def _character_map(path: str, index: int) -> frozenset[int]:
    """Code points a font file (face ``index`` of a collection) has glyphs for.

    Read by FreeType through matplotlib, the engine that draws the figures: the same map as
    fontTools' ``getBestCmap`` but 10-40 times faster (0.06 s instead of 0.7 s for Noto Sans CJK).
    """
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path, face_index=index).get_charmap())


def _needs_glyph(char: str) -> bool:
    """Whether a character is drawn: not whitespace, control, format (ZWJ), unassigned or a variation selector."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors (emoji vs text style)
        return False
    return unicodedata.category(char) not in {"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp"}


def script_of(char: str) -> str:
    """The script a reader would name for ``char``: "Hangul", "Han", "Arabic", …, or "emoji".

    Characters shared by all scripts (Unicode script "Common") are named by their Unicode block,
    the emoji blocks all "emoji" and the CJK punctuation and fullwidth blocks "CJK punctuation".
    """
    from fontTools import unicodedata as font_unicodedata

    code = font_unicodedata.script(char)
    if code in ("Zyyy", "Zinh", "Zzzz"):
        block = font_unicodedata.block(char)
        if block in EMOJI_BLOCKS:
            return EMOJI
        return CJK_PUNCTUATION if block in CJK_PUNCTUATION_BLOCKS else block
    return font_unicodedata.script_name(code)


def uncovered_characters(texts: Iterable[str]) -> list[str]:
    """Characters of ``texts`` that none of the :func:`figure_families` has, in order of appearance."""
    wanted = list(dict.fromkeys(char for text in texts for char in text if not char.isascii()))
    wanted = [char for char in wanted if _needs_glyph(char)]
    if not wanted:
        return []
    entries = _font_entries()
    remaining = {ord(char) for char in wanted}
    # In fallback order, and only as far as needed: most reports are covered by DejaVu Sans alone.
    for family in figure_families():
        if not remaining:
            break
        remaining -= _character_map(*entries[family])
    return [char for char in wanted if ord(char) in remaining]


def missing_scripts(texts: Iterable[str]) -> list[str]:
    """Scripts in ``texts`` that the report's installed fonts cannot draw (shown as empty boxes).

    Args:
        texts: the strings the report shows (e-mail texts, tokens, words).

    Returns:
        Script names in order of first appearance, e.g. ``["Hangul", "Han", "emoji"]``; empty when
        every character has a glyph.
    """
    return list(dict.fromkeys(script_of(char) for char in uncovered_characters(texts)))


def _describe(script: str) -> str:
    language = _LANGUAGES.get(script)
    return f"{script} ({language})" if language and language != script else script


def missing_font_note(texts: Iterable[str]) -> str | None:
    """One sentence for the report and stderr naming the scripts that will show as boxes, or None.

    Example: "Hangul (Korean) text shows as empty boxes: none of the report's fonts has these
    characters (e.g. U+AD11); install fonts-wqy-microhei (or fonts-noto-cjk) and render again."
    """
    missing = uncovered_characters(texts)
    if not missing:
        return None
    scripts = list(dict.fromkeys(script_of(char) for char in missing))
    packages = list(dict.fromkeys(_PACKAGES.get(script, "fonts-noto-core") for script in scripts))
    names = [_describe(script) for script in scripts]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    examples = ", ".join(f"U+{ord(char):04X}" for char in missing[:3])
    return (f"{listed} text shows as empty boxes: none of the report's fonts has these characters "
            f"(e.g. {examples}); install {' and '.join(packages)} (Debian/Ubuntu packages) and render again.")


def report_texts(results: Any) -> Iterator[str]:
    """Every string of a results dict the report may show (``data:`` URIs of pictures excluded)."""
    if isinstance(results, str):
        if not results.startswith("data:"):
            yield results
    elif isinstance(results, dict):
        for value in results.values():
            yield from report_texts(value)
    elif isinstance(results, (list, tuple)):
        for value in results:
            yield from report_texts(value)
