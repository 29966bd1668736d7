"""Layout under hostile input: one 4,000-character token wraps inside the PDF page, all of it kept."""

from __future__ import annotations

import io
import random
import re
import warnings
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

from reportgen.report import build_document
from reportgen.report.render import LONG_RUN, breakable, render_html, render_pdf_bytes
from tests.results_fixture import make_results

warnings.filterwarnings("ignore", message="Glyph .* missing from font")

_rng = random.Random(7)
#: One unbroken token (no space, no separator) as long as a base64 blob in a spam e-mail.
LONG = "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(4000))


def test_breakable_adds_break_opportunities_only_inside_long_runs() -> None:
    assert str(breakable("free <b>money</b> gradients.absolute_delta_floor")) == (
        "free &lt;b&gt;money&lt;/b&gt; gradients.absolute_delta_floor")
    path = "/home/user/experiments/mmtd/checkpoints/model.safetensors"
    assert len(path) > LONG_RUN
    assert str(breakable(path)).split("<wbr>") == [
        "/", "home/", "user/", "experiments/", "mmtd/", "checkpoints/", "model.", "safetensors"]
    pieces = str(breakable(LONG)).split("<wbr>")
    assert "".join(pieces) == LONG and max(map(len, pieces)) <= 20
    assert str(breakable("<" * 50)).replace("<wbr>", "") == "&lt;" * 50, "escaped, only <wbr> added"
    accented = "e\u0301" * 30  # a combining accent stays with its letter
    assert all(not p.startswith("\u0301") for p in str(breakable(accented)).split("<wbr>"))


@dataclass
class LaidOut:
    """The long-token report's PDF, its text read once (pypdf reads ~50 pages in seconds)."""

    results: dict
    #: each page's width and its text runs as drawn: (text, x of the run's start, font size in points)
    runs: list[tuple[float, list[tuple[str, float, float]]]]
    #: each page's whole text
    pages: list[str]


@pytest.fixture(scope="module")
def long_token_pdf() -> LaidOut:
    results = make_results(1, n_predictions=4)
    sample = results["samples"][0]
    sample["text"] += " " + LONG + " tail"  # e-mail text (a scored word)
    sample["words"].append({"text": LONG, "score": 0.5, "tokens": [1]})
    sample["reason"] = "chosen " + LONG  # sample index table and the e-mail's card
    results["model"]["path"] = "/models/" + LONG  # subtitle, summary sentence, key-facts card, appendix
    results["aggregate"]["top_words"]["spam"].insert(0, {"word": LONG, "count": 3, "mean_score": 0.9})
    # Setting names must not be squeezed mid-word by a long value in the same table.
    results["methods"]["integrated_gradients"]["absolute_delta_floor"] = 0.01
    results["methods"]["integrated_gradients"]["text_baseline"] = LONG
    html = render_html(build_document(results, keep_figures=False), print_mode=True)
    pdf, _ = render_pdf_bytes(html)
    runs, pages = [], []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        drawn: list[tuple[str, float, float]] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            scale = (cm[0] ** 2 + cm[1] ** 2) ** 0.5 * (tm[0] ** 2 + tm[1] ** 2) ** 0.5
            drawn.append((text, x, size * scale))

        # One pass gives both: the runs with their positions, and the page's text as extract_text() reads it.
        pages.append(page.extract_text(visitor_text=visit))
        runs.append((float(page.mediabox.width), drawn))
    return LaidOut(results, runs, pages)


def test_a_4000_character_token_stays_inside_the_pdf_page(long_token_pdf: LaidOut) -> None:
    overruns = []
    for number, (width, drawn) in enumerate(long_token_pdf.runs, 1):
        for text, x, size in drawn:
            text = text.replace("\u200b", "").strip()
            # 0.25 em is less than any letter's advance in DejaVu Sans: a lower bound of the run's width.
            if text and x + 0.25 * size * len(text) > width:
                overruns.append((number, text[:30]))
    assert not overruns, f"text runs off the page: {overruns[:3]}"


def test_a_4000_character_token_is_all_there(long_token_pdf: LaidOut) -> None:
    # Line, page and table-row breaks interleave other text (running headers, repeated table
    # headers, neighbouring cells) with the token's pieces, so instead of searching the token whole,
    # every letter run of the page text is located in the token (random letters: a run of 3+
    # letters found in it is, with rare exceptions, a piece of it) and each of its characters counts
    # as shown once more.
    shown = [0] * len(LONG)

    def visit(text: str) -> None:
        for piece in re.findall("[a-z]+", text.replace("\u200b", "")):
            at = LONG.find(piece)
            if len(piece) >= 3 and at >= 0:
                for k in range(at, at + len(piece)):
                    shown[k] += 1

    # The page's whole text, not text-operator by operator: a tagged PDF shows each piece between
    # two <wbr> in its own operator, and such short pieces are more often found elsewhere in LONG.
    for page in long_token_pdf.pages:
        visit(page)
    # subtitle, summary sentence, key facts, top-word table, sample index, the e-mail's card, its
    # text, the method settings table and the reproducibility card: every character in each
    assert min(shown) >= 9


def test_setting_names_are_not_broken_mid_word(long_token_pdf: LaidOut) -> None:
    text = "\n".join(long_token_pdf.pages)
    for name in long_token_pdf.results["methods"]["integrated_gradients"]:
        assert re.search(rf"(^|\s){name}(\s|$)", text, flags=re.MULTILINE), f"{name} is split across lines"
