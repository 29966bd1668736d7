"""The report as a typed view model: blocks, sections and the whole :class:`Report` (no HTML here).

:mod:`reportgen.report.build` fills these from results.json; the Jinja2 templates only lay them out
(one macro per block kind, chosen by each block's ``block`` name), so every sentence a reader sees
is decided in Python and can be tested without rendering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union

#: Resolution of the per-sample figures (WebP in the page, JPEG in the PDF): 16 cm at 150 dpi is
#: ~950 px, sharp on screen and still legible in print for the smallest (5.5 pt) tick labels.
RASTER_DPI = 150


@dataclass
class TextRun:
    """A stretch of a paragraph in one language: e-mail words keep their e-mail's language."""

    text: str
    #: BCP 47 ``lang`` of the run ("" = the page's English)
    lang: str = ""


@dataclass
class Paragraph:
    """A paragraph of plain text; ``kind`` is "text", "lead" or "warning"."""

    block: ClassVar[str] = "paragraph"

    text: str
    kind: str = "text"
    #: ``text`` cut into runs where it quotes e-mail words (each in its e-mail's language); empty = one
    #: English run. Build with :meth:`from_runs` so that ``text`` stays their concatenation.
    runs: list[TextRun] = field(default_factory=list)

    @classmethod
    def from_runs(cls, runs: list[TextRun], kind: str = "text") -> Paragraph:
        """A paragraph made of ``runs`` (its ``text`` is their concatenation)."""
        return cls("".join(run.text for run in runs), kind, list(runs))


@dataclass
class Facts:
    """A short label → value list (rendered as a definition list)."""

    block: ClassVar[str] = "facts"

    items: list[tuple[str, str]]
    name: str = ""
    #: "grid" (short values side by side) or "list" (one per line, for long values such as hashes)
    layout: str = "grid"


@dataclass
class Figure:
    """One chart: a name (file stem for exports), a one-sentence caption, alt text and its image.

    ``src`` is a ``data:`` URI of the matplotlib drawing (used as an ``<img>``, so nothing in it
    runs): vector SVG for the aggregate charts, a lossless palette WebP at :data:`RASTER_DPI` for
    the per-sample ones (many per report; WeasyPrint draws a raster ~20x faster than it parses an
    SVG full of glyph paths). ``print_src``, when set, replaces ``src`` in the PDF: a JPEG of the
    same drawing, which WeasyPrint embeds as it is instead of re-compressing it.
    ``figure`` keeps the matplotlib Figure for :func:`reportgen.report.assets.export_assets`, which always
    writes vector SVG and PDF.
    """

    block: ClassVar[str] = "figure"

    name: str
    caption: str
    alt: str
    src: str = ""  # a data:image/svg+xml;base64 or data:image/png;base64 URI
    figure: Any = field(default=None, repr=False, compare=False)
    wide: bool = False
    #: display width in CSS pixels for a PNG (its drawn size, 96 px per inch), so that it shows at
    #: the size it was laid out for like the SVGs do (``None`` for SVG: it carries its own size)
    width_px: int | None = None
    #: the PDF's copy of ``src`` ("" = the same as ``src``)
    print_src: str = ""


@dataclass
class Table:
    """A table of raw values (strings and numbers); templates format the numbers."""

    block: ClassVar[str] = "table"

    name: str
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    #: decimals for float cells
    decimals: int = 3
    #: per row: the in-page anchor the first cell links to ("" = no link)
    links: list[str] = field(default_factory=list)
    #: per row, per cell: the BCP 47 ``lang`` of a cell holding e-mail words ("" = the page's English);
    #: empty when no cell does. A screen reader reads "gratis" or "деньги" by the rules of their language.
    langs: list[list[str]] = field(default_factory=list)

    @property
    def numeric_columns(self) -> list[bool]:
        """Per column: True when every non-empty cell is a number (right-aligned in the page)."""
        flags = []
        for j in range(len(self.columns)):
            cells = [row[j] for row in self.rows if j < len(row) and row[j] not in ("", None, "n/a")]
            flags.append(bool(cells) and all(_finite(c) for c in cells))
        return flags


@dataclass
class WordSpan:
    """One word of an e-mail with its signed attribution and the colours it is shown in."""

    text: str
    score: float
    background: str  # CSS colour, e.g. "#f4a582"
    color: str  # text colour with enough contrast on ``background``
    direction: str  # "spam", "ham" or "neutral" (drives a grey-safe underline style)
    #: the e-mail's own text between the previous word and this one (spaces, line breaks, characters
    #: the tokenizer dropped), shown unhighlighted so the text reads as written
    before: str = " "

    @property
    def title(self) -> str:
        """Tooltip (and screen-reader) text: the score and which way it pushes."""
        # A real minus sign: screen readers say "minus" for U+2212, while "-" is often skipped.
        value = f"{self.score:+.3f}".replace("-", "\u2212")
        return f"{value} toward {self.direction}" if self.direction != "neutral" else value


@dataclass
class LegendStop:
    """One swatch of the word-highlighting legend."""

    label: str
    background: str
    color: str
    direction: str


@dataclass
class HighlightedText:
    """An e-mail's text as coloured word spans, with its legend and caption."""

    block: ClassVar[str] = "highlighted"

    name: str
    caption: str
    spans: list[WordSpan]
    legend: list[LegendStop]
    #: text after the last scored word: cut off by the model's length limit, so never read by it
    unread: str = ""
    #: what the legend's numbers are
    legend_title: str = "Word colours, spam log-odds (one scale for the whole report):"
    #: the e-mail's language as a BCP 47 tag (``"und"``: undetermined), for the page's ``lang``
    lang: str = "und"


Block = Union[Paragraph, Facts, Figure, Table, HighlightedText]


@dataclass
class Section:
    """A major section: an anchor id, a title, a kind (its CSS class), its blocks and sample cards.

    ``samples`` holds the per-e-mail cards shown after the blocks (only the samples section has any).
    """

    id: str
    title: str
    kind: str
    blocks: list[Block] = field(default_factory=list)
    intro: str = ""
    samples: list[SampleSection] = field(default_factory=list)


@dataclass
class SampleSection:
    """One explained e-mail."""

    id: str
    title: str
    row: int
    label: str
    prediction: str
    outcome: str
    correct: bool | None
    prob_spam: float
    reason: str
    pic: str
    verdict: str  # one plain sentence: what the model said and whether it was right
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Report:
    """The whole report: title and ordered sections (the explained samples live in their section)."""

    title: str
    subtitle: str
    created: str | None
    sections: list[Section]
    #: the verdict in plain words, with its interval, for the first page
    headline: str = ""
    #: who wrote the report (HTML ``<meta name=author>``, the PDF's Author)
    author: str = "reportgen"
    #: subject words (HTML ``<meta name=keywords>``, the PDF's Keywords)
    keywords: tuple[str, ...] = ("spam detection", "explainable AI", "MMTD", "multimodal", "Shapley values",
                                 "Integrated Gradients", "attention")

    @property
    def description(self) -> str:
        """One sentence on what the report is about (HTML ``<meta name=description>``, the PDF's Subject)."""
        return f"Why the spam detector decides as it does: {self.subtitle}. {self.headline}".strip()

    @property
    def samples(self) -> list[SampleSection]:
        """Every explained e-mail's card, in reading order."""
        return [sample for section in self.sections for sample in section.samples]

    def section(self, section_id: str) -> Section:
        """The section with ``section_id`` (KeyError if absent)."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def figures(self) -> list[Figure]:
        """Every figure in reading order (aggregate first, then samples)."""
        return [b for b in self._blocks() if isinstance(b, Figure)]

    def tables(self) -> list[Table]:
        """Every table in reading order."""
        return [b for b in self._blocks() if isinstance(b, Table)]

    def _blocks(self) -> list[Block]:
        blocks: list[Block] = []
        for section in self.sections:
            blocks.extend(section.blocks)
            for sample in section.samples:
                blocks.extend(sample.blocks)
        return blocks


def _finite(value: Any) -> bool:
    """True for a finite int/float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
