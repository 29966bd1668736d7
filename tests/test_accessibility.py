"""The report is accessible and standards-conformant, checked with tools nobody here wrote.

* axe-core (Deque) in headless Chromium, every ``<details>`` open: no WCAG 2.0/2.1/2.2 A or AA
  violation (tests/a11y/axe.js);
* the Nu Html Checker (vnu.jar, W3C): no error in report.html, CSS included;
* poppler's pdfinfo and pypdf: the PDF is tagged PDF/UA-1 with metadata, and the figures' alt texts
  reach its structure tree;
* and, read from the page itself: every e-mail carries its language, every coloured word's score is
  in the text (not only in a mouse tooltip), every chart's alt text is its own, the PDF's page 1 is
  the summary.

The node packages live in tests/a11y (``npm ci --prefix tests/a11y``, run by .ci/run); a test whose
tool is missing is skipped with the reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

from reportgen.report.figures import diverging_colour
from reportgen.report.render import render_report
from reportgen.report.sections.common import language_tag
from tests.results_fixture import make_results

warnings.filterwarnings("ignore", message="Glyph .* missing from font")

A11Y = Path(__file__).parent / "a11y"
NODE_MODULES = A11Y / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
NODE = shutil.which("node")
JAVA = shutil.which("java")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFINFO = shutil.which("pdfinfo")
XHTML = "{http://www.w3.org/1999/xhtml}"
NOT_INSTALLED = "tests/a11y/node_modules is missing (run: npm ci --prefix tests/a11y)"

#: The explained e-mails: an English one whose end lies past the length limit (grey "not read"
#: text), a Korean one, and one whose language is undetermined.
TEXTS = ("WIN a FREE prize now! Click here to claim your money before midnight.",
         "안녕하세요 팀 여러분, 회의는 내일 오전 열 시로 옮겨졌습니다. 안건을 첨부합니다.",
         "ok 42 :) !!")
LANGUAGES = ("en", "ko", "und")
UNREAD_TAIL = "\n\nThis sentence lies past the model's length limit."


def accessible_results() -> dict[str, Any]:
    """Fixture results with every kind of element axe found problems with on the demo report."""
    results = make_results(3, n_predictions=20, texts=TEXTS)
    limit = float(results["aggregate"]["colour_scale"]["limit"])
    for sample, language in zip(results["samples"], LANGUAGES):
        sample["language"] = language
    first = results["samples"][0]
    first["text"] += UNREAD_TAIL  # no word covers it: shown as text the model did not read
    # Word scores across the whole colour scale, both signs: every text colour on every shade.
    n = len(first["words"])
    for i, word in enumerate(first["words"]):
        word["score"] = round(limit * (-1.2 + 2.4 * i / max(n - 1, 1)), 6)
    return results


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return render_report(accessible_results(), tmp_path_factory.mktemp("a11y"), ("html", "pdf"),
                         deterministic=True)


@pytest.fixture(scope="module")
def page(report: dict[str, Path]) -> Any:
    import tinyhtml5  # WeasyPrint's HTML parser: the page as an ElementTree

    return tinyhtml5.parse(report["html"].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pdf_pages(report: dict[str, Path]) -> list[str]:
    """The text of each page of the PDF (pypdf reads it once for the tests that need it)."""
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(str(report["pdf"])).pages]


def _classes(element: Any) -> list[str]:
    return (element.get("class") or "").split()


# ------------------------------------------------------------------------------- external checkers


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (CI installs it: apt chromium)")
@pytest.mark.skipif(NODE is None, reason="node is not installed (CI: Debian nodejs and npm)")
@pytest.mark.skipif(not (NODE_MODULES / "axe-core").is_dir() or not (NODE_MODULES / "puppeteer-core").is_dir(),
                    reason=NOT_INSTALLED)
def test_axe_finds_no_wcag_2_2_aa_violation(report: dict[str, Path]) -> None:
    run = subprocess.run([NODE, str(A11Y / "axe.js"), str(report["html"]), CHROMIUM], capture_output=True,
                         text=True, timeout=180, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout)
    assert found["refused"] == [], f"the page asked for {found['refused']}"
    problems = [f"{v['id']} ({v['impact']}): {v['help']}; e.g. {v['nodes'][0]['target']}: {v['nodes'][0]['summary']}"
                for v in found["violations"]]
    assert problems == [], f"axe-core {found['axe']}:\n" + "\n".join(problems)


@pytest.mark.skipif(JAVA is None, reason="java is not installed (CI: Debian default-jre-headless)")
@pytest.mark.skipif(not VNU_JAR.is_file(), reason=NOT_INSTALLED)
def test_nu_html_checker_finds_no_error(report: dict[str, Path]) -> None:
    run = subprocess.run([JAVA, "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", str(report["html"])],
                         capture_output=True, text=True, timeout=180, check=False)
    messages = json.loads(run.stderr)["messages"]  # vnu writes its report on stderr
    errors = [f"line {m.get('lastLine')}: {m['message']}" for m in messages
              if m["type"] in ("error", "non-document-error")]
    assert errors == [], "\n".join(errors)


@pytest.mark.skipif(PDFINFO is None, reason="poppler-utils (pdfinfo) is not installed (CI installs it)")
def test_pdf_is_tagged_with_metadata(report: dict[str, Path]) -> None:
    info = dict(line.split(":", 1) for line in subprocess.run(
        [PDFINFO, str(report["pdf"])], capture_output=True, text=True, check=True).stdout.splitlines() if ":" in line)
    info = {k.strip(): v.strip() for k, v in info.items()}
    assert info["Tagged"] == "yes"
    assert info["Metadata Stream"] == "yes"
    assert info["Title"] == "Spam detector explanation report"
    assert info["Author"] == "reportgen"
    assert info["Subject"].startswith("Why the spam detector decides as it does: ")
    assert "Shapley values" in info["Keywords"]

    from pypdf import PdfReader

    reader = PdfReader(str(report["pdf"]))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "en"
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfuaid:part="1"|<pdfuaid:part>1<', xmp), "no PDF/UA identification in the XMP metadata"


def test_pdf_structure_tree_carries_every_alt_text(report: dict[str, Path], page: Any) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(report["pdf"]))
    alts: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif hasattr(node, "get"):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                alts.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    html_alts = [img.get("alt") for img in page.iter(f"{XHTML}img")]
    assert html_alts and sorted(alts) == sorted(html_alts)


# ------------------------------------------------------------------------------------- the page


def test_each_email_text_carries_its_language(page: Any) -> None:
    texts = [p for p in page.iter(f"{XHTML}p") if "email-text" in _classes(p)]
    assert [p.get("lang") for p in texts] == list(LANGUAGES)
    assert page.get("lang") == "en"
    assert not [e.tag for e in page.iter() if e.get("lang") == ""], 'lang="" claims nothing'


def test_language_tags_are_well_formed_bcp47() -> None:
    assert [language_tag(c) for c in ("en", "zh_CN", "pt-BR", "und", "", None, "English", "?", "e n")] == \
        ["en", "zh-CN", "pt-BR", "und", "und", "und", "und", "und", "und"]


def test_coloured_words_say_their_score_without_a_mouse(page: Any) -> None:
    texts = [p for p in page.iter(f"{XHTML}p") if "email-text" in _classes(p)]
    checked = 0
    for text in texts:
        for word in text.iter(f"{XHTML}span"):
            if "w" not in _classes(word):
                continue
            hidden = [s for s in word if "visually-hidden" in _classes(s)]
            if "w-neutral" in _classes(word):
                assert hidden == []  # below the noise floor: no colour, nothing to say
                continue
            assert len(hidden) == 1, "".join(word.itertext())
            spoken = "".join(hidden[0].itertext())
            assert spoken == f" ({word.get('title')})"
            assert re.fullmatch(r" \([+\u2212]\d+\.\d{3} toward (spam|ham)\)", spoken)
            # English words inside a Korean e-mail are marked English.
            assert hidden[0].get("lang") == (None if text.get("lang") == "en" else "en")
            checked += 1
    assert checked >= 10


def test_alt_texts_are_distinct_and_name_their_email(report: dict[str, Path], page: Any) -> None:
    alts = [img.get("alt") for img in page.iter(f"{XHTML}img")]
    assert alts and all(alt and len(alt) > 20 for alt in alts)
    assert len(set(alts)) == len(alts), [a for a in alts if alts.count(a) > 1]
    unreliable_seen = False
    for card in (d for d in page.iter(f"{XHTML}details") if "sample" in _classes(d)):
        row = re.search(r"Row (\d+)", "".join(card.find(f"{XHTML}summary").itertext())).group(1)
        card_alts = [img.get("alt") for img in card.iter(f"{XHTML}img")]
        assert card_alts and all(f"e-mail row {row} (predicted " in alt for alt in card_alts)
        # An e-mail whose Integrated Gradients did not converge says so in the heatmap's alt text too.
        flagged = any("did not converge" in "".join(p.itertext()) for p in card.iter(f"{XHTML}p")
                      if "warning" in _classes(p))
        ig_alt = next(alt for alt in card_alts if "Integrated Gradients heatmap" in alt)
        assert ig_alt.startswith("Unreliable: ") == flagged
        unreliable_seen = unreliable_seen or flagged
    assert unreliable_seen, "the fixture has an e-mail whose IG did not converge"


def test_sample_cards_are_open_without_script(page: Any) -> None:
    cards = [d for d in page.iter(f"{XHTML}details")]
    assert len(cards) == len(LANGUAGES) and all(d.get("open") is not None for d in cards)
    assert not list(page.iter(f"{XHTML}script"))


def test_paged_media_css_is_given_to_weasyprint_only(report: dict[str, Path], pdf_pages: list[str]) -> None:
    html = report["html"].read_text(encoding="utf-8")
    for weasyprint_only in ("string-set", "string(", "target-counter", "leader(", "@top-", "@bottom-"):
        assert weasyprint_only not in html
    pages = pdf_pages
    # ... yet the PDF has it: page numbers in the footer and in the contents.
    assert f"Page 1 of {len(pages)}" in pages[0]
    contents = next(text for text in pages if "Contents" in text)
    assert re.search(r"Summary\s*\.{5,}\s*1\b", contents)


def test_pdf_page_one_is_the_summary_and_contents_follow(pdf_pages: list[str]) -> None:
    pages = pdf_pages
    assert "Spam detector explanation report" in pages[0]
    assert "Summary" in pages[0] and "This report explains how the e-mail spam detector" in pages[0]
    assert "Contents" not in pages[0]
    first_contents = next(i for i, text in enumerate(pages) if "Contents" in text)
    first_aggregate = next(i for i, text in enumerate(pages) if "All e-mails together" in text and i != first_contents)
    assert 0 < first_contents < first_aggregate


def test_word_colours_contrast_with_their_text() -> None:
    """Every shade of the word colour scale has text at WCAG AA contrast (4.5:1), both signs."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    worst = min(
        (max(lb, lt) + 0.05) / (min(lb, lt) + 0.05)
        for score in (i / 200 for i in range(-240, 241))
        for lb, lt in [tuple(map(luminance, diverging_colour(score, 1.0, 0.05)))])
    assert worst >= 4.5
