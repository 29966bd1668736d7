"""The report as a typed view model, built from results.json alone (no torch, no HTML).

``build_document(results)`` turns the plain results dict into a :class:`Report`: ordered
:class:`Section` objects holding :class:`Paragraph`, :class:`Facts`, :class:`Table`,
:class:`Figure` and :class:`HighlightedText` blocks, plus one :class:`SampleSection` per explained
e-mail. Templates (``templates/``) only lay these out; every sentence a reader sees is decided here,
so it can be tested without rendering. Figures come from :mod:`reportgen.figures`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from statistics import median
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union

from reportgen.analysis.aggregate import IG_ABSOLUTE_DELTA_FLOOR, IG_RELATIVE_DELTA_LIMIT, ig_flagged, ig_relative_delta
from reportgen.analysis.aggregate import IMAGE_DOMINANT, TEXT_DOMINANT, text_share, verdict_label
from reportgen.errors import ResultsError

ESTIMATORS = (("ig", "Integrated Gradients"), ("shapley", "Shapley (two-player)"), ("attention", "Fusion attention"))
CLASS_NAMES = {0: "ham", 1: "spam", None: "unknown"}
#: Resolution of the per-sample figures (PNG): 16 cm at 150 dpi is ~950 px, sharp on screen and
#: still legible in print for the smallest (5.5 pt) tick labels.
RASTER_DPI = 150


# --------------------------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------------------------


@dataclass
class Paragraph:
    """A paragraph of plain text; ``kind`` is "text", "lead" or "warning"."""

    block: ClassVar[str] = "paragraph"

    text: str
    kind: str = "text"


@dataclass
class Facts:
    """A short label -> value list (rendered as a definition list)."""

    block: ClassVar[str] = "facts"

    items: list[tuple[str, str]]
    name: str = ""
    #: "grid" (short values side by side) or "list" (one per line, for long values such as hashes)
    layout: str = "grid"


@dataclass
class Figure:
    """One chart: a name (file stem for exports), a one-sentence caption, alt text and its image.

    ``src`` is a ``data:`` URI of the matplotlib drawing (used as an ``<img>``, so nothing in it
    runs): vector SVG for the aggregate charts, PNG at :data:`RASTER_DPI` for the per-sample ones
    (many per report; WeasyPrint draws a PNG ~20x faster than it parses an SVG full of glyph paths).
    ``figure`` keeps the matplotlib Figure for :func:`reportgen.assets.export_assets`, which always
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

    @property
    def numeric_columns(self) -> list[bool]:
        """Per column: True when every non-empty cell is a number (right-aligned in the page)."""
        flags = []
        for j in range(len(self.columns)):
            cells = [row[j] for row in self.rows if j < len(row) and row[j] not in ("", None, "n/a")]
            flags.append(bool(cells) and all(finite(c) for c in cells))
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
        """Tooltip text: the score and which way it pushes."""
        return f"{self.score:+.3f} toward {self.direction}" if self.direction != "neutral" else f"{self.score:+.3f}"


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


Block = Union[Paragraph, Facts, Figure, Table, HighlightedText]


@dataclass
class Section:
    """A major section: an anchor id, a title, a kind (selects its template) and its blocks."""

    id: str
    title: str
    kind: str
    blocks: list[Block] = field(default_factory=list)
    intro: str = ""


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
    """The whole report: title, ordered sections and the explained samples."""

    title: str
    subtitle: str
    created: str | None
    sections: list[Section]
    samples: list[SampleSection]

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
            if section.kind == "samples":
                for sample in self.samples:
                    blocks.extend(sample.blocks)
        return blocks


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _pct(value: float | None, decimals: int = 0) -> str:
    # A no-break space keeps "66 %" on one line.
    return "n/a" if value is None else f"{100 * value:.{decimals}f}\u00a0%"


def _hex(rgba: tuple[float, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(round(255 * c)) for c in rgba[:3]))


def _text_colour(rgba: tuple[float, ...]) -> str:
    # WCAG relative luminance: dark text on light swatches, white on dark ones.
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgba[:3])
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.25 else "#ffffff"


def diverging_colour(score: float, scale: float) -> tuple[str, str]:
    """Background and text colour of ``score`` on the diverging map, symmetric around 0.

    Args:
        score: a signed attribution (positive = toward spam).
        scale: the absolute score that maps to the map's ends (the sample's largest |score|).

    Returns:
        ``(background, text_colour)`` as ``#rrggbb``.
    """
    from matplotlib import colormaps

    # The figures' diverging map, so highlighted words and heatmaps read the same way.
    from reportgen.figures import DIVERGING_CMAP

    position = 0.5 if scale <= 0 else 0.5 + 0.5 * max(-1.0, min(1.0, score / scale))
    rgba = colormaps[DIVERGING_CMAP](position)
    return _hex(rgba), _text_colour(rgba)


def _direction(score: float, scale: float) -> str:
    # Words within 5 % of the scale are "neutral": colouring them would suggest a signal that is noise.
    if scale <= 0 or abs(score) < 0.05 * scale:
        return "neutral"
    return "spam" if score > 0 else "ham"


def _shares(modality: dict[str, Any]) -> dict[str, float | None]:
    """Text share per estimator, by the same rule as the aggregate (reportgen.analysis.aggregate.text_share)."""
    return {key: text_share(modality[key]) for key, _ in ESTIMATORS}


def _dominant(share: float | None) -> str:
    """"text", "image", "balanced" or "n/a", by the aggregate's thresholds."""
    return {"text-dominant": "text", "image-dominant": "image", "balanced": "balanced"}.get(verdict_label(share), "n/a")


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _is_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _median(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return median(kept) if kept else None


def _figures_module() -> Any:
    from reportgen import figures

    return figures


#: Whether Figure blocks keep their matplotlib Figure (only asset export needs it; a report with
#: hundreds of samples would otherwise hold thousands of figures in memory).
_KEEP_FIGURES: ContextVar[bool] = ContextVar("keep_figures", default=True)


def _figure(name: str, caption: str, alt: str, fig: Any, *, wide: bool = False, raster: bool = False) -> Figure:
    # An <img> with a data: URI, not inline <svg>: nothing in the picture can become live markup in
    # the page, and the CSP's img-src data: allows exactly this.
    figures = _figures_module()
    width_px = None
    if raster:
        src = figures.figure_to_data_uri(fig, "png", dpi=RASTER_DPI)
        width_px = round(float(fig.get_size_inches()[0]) * 96)
    else:
        src = figures.figure_to_data_uri(fig, "svg")
    kept = fig if _KEEP_FIGURES.get() else None
    if kept is None:
        # Free the figure's memory now (not at the next garbage collection): a 100-sample report
        # draws hundreds of figures.
        fig.clear()
    return Figure(name=name, caption=caption, alt=alt, src=src, figure=kept, wide=wide, width_px=width_px)


def _raster_figure(name: str, caption: str, alt: str, fig: Any, *, wide: bool = False) -> Figure:
    """A per-sample figure as PNG (see :data:`RASTER_DPI`)."""
    return _figure(name, caption, alt, fig, wide=wide, raster=True)


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _summary(results: dict[str, Any], shares: list[dict[str, float | None]]) -> Section:
    model, dataset, metrics = results["model"], results["dataset"], results["metrics"]
    samples = results["samples"]
    params = model.get("parameters")
    size = ("" if not params else f" with {params / 1e6:.0f} million parameters" if params >= 1e6
            else f" with {params:,} parameters")
    blocks: list[Block] = []
    blocks.append(Paragraph(
        f"This report explains how the e-mail spam detector at {model['path']}{size} decides whether an e-mail "
        f"is spam or ham (wanted mail). The model reads both the text of an e-mail and a picture of it.",
        kind="lead"))
    skipped = len(dataset.get("skipped", []))
    skipped_text = f"; {skipped} row(s) could not be used and were skipped" if skipped else ""
    data_sentence = (f"It was run on {dataset['n_selected']} e-mails from {dataset['csv']} "
                     f"(selection: {dataset['selection']}){skipped_text}.")
    if metrics:
        cm = metrics["confusion_matrix"]
        errors = cm[0][1] + cm[1][0]
        data_sentence += (f" It labelled {_pct(metrics['accuracy'])} of them correctly ({errors} mistake(s): "
                          f"{cm[0][1]} wanted e-mail(s) flagged as spam, {cm[1][0]} spam e-mail(s) let through).")
    else:
        data_sentence += " The data has no labels, so accuracy cannot be measured."
    blocks.append(Paragraph(data_sentence))

    verdict = results["aggregate"]["modality"]["verdict"]
    if not samples:
        blocks.append(Paragraph("No e-mail was explained in detail, so this report has predictions and accuracy "
                                "but no explanation of which words or parts of the picture drove them."))
        return _summary_end(results, blocks, model, dataset, metrics, samples, "not measured")
    lean = {"text-dominant": "mostly on the text", "image-dominant": "mostly on the picture",
            "balanced": "on the text and the picture about equally"}.get(verdict["label"], "on an unknown mix")
    medians = {key: _median([s[key] for s in shares]) for key, _ in ESTIMATORS}
    agree = sum(1 for s in shares if len({_dominant(s[k]) for k, _ in ESTIMATORS}) == 1)
    estimator_text = "; ".join(f"{label} {_pct(medians[key])}" for key, label in ESTIMATORS)
    overall_agree = ("All three methods reach this verdict." if verdict.get("agree")
                     else "The three methods do not all reach this verdict, so read it with care.")
    blocks.append(Paragraph(
        f"For the {len(samples)} e-mails explained in detail, the decisions lean {lean}. The typical (median) "
        f"share of a decision credited to the text is: {estimator_text}. {overall_agree} E-mail by e-mail, the "
        f"three methods agree on the leading source for {agree} of {len(samples)} e-mails."))

    top = results["aggregate"]["top_words"]
    # Punctuation can carry attribution too (the tables list it), but a reader asks for words.
    spam_words = ", ".join(f"“{w['word']}”" for w in [w for w in top["spam"] if _is_word(w["word"])][:5]) or "none"
    ham_words = ", ".join(f"“{w['word']}”" for w in [w for w in top["ham"] if _is_word(w["word"])][:5]) or "none"
    if top["spam"] or top["ham"]:
        blocks.append(Paragraph(f"Words that most often push toward spam: {spam_words}. "
                                f"Words that most often push toward ham: {ham_words} (details in the word tables)."))
    else:
        blocks.append(Paragraph("No word pushed in the same direction in enough explained e-mails to be listed; "
                                "the per-e-mail sections show each e-mail's own strongest words."))

    return _summary_end(results, blocks, model, dataset, metrics, samples,
                        lean.replace("mostly on ", "").replace("on ", "", 1))


def _summary_end(results: dict[str, Any], blocks: list[Block], model: dict[str, Any], dataset: dict[str, Any],
                 metrics: dict[str, Any] | None, samples: list[Any], leans_on: str) -> Section:
    """Key facts and warnings close the summary."""
    facts = [("Model", str(model["path"])), ("Checkpoint sha256", str(model["sha256"])[:16] + "…"),
             ("E-mails", str(dataset["n_selected"])), ("Explained in detail", str(len(samples)))]
    if metrics:
        facts += [("Accuracy", _pct(metrics["accuracy"])),
                  ("ROC AUC", "n/a" if metrics.get("roc_auc") is None else f"{metrics['roc_auc']:.3f}")]
    facts.append(("Leans on", leans_on))
    blocks.append(Facts(facts, name="key-facts"))

    warnings = list(results["aggregate"].get("warnings", []))
    if warnings:
        blocks.append(Paragraph("Warnings", kind="heading"))
        blocks.extend(Paragraph(w, kind="warning") for w in warnings)
    return Section(id="summary", title="Summary", kind="summary", blocks=blocks)


def _aggregate(results: dict[str, Any], shares: list[dict[str, float | None]]) -> Section:
    figures = _figures_module()
    metrics = results["metrics"]
    samples = results["samples"]
    blocks: list[Block] = []
    if metrics:
        blocks.append(Table(
            name="metrics", caption="How often the model is right, measured on every labelled e-mail.",
            columns=["E-mails", "Accuracy", "Precision (spam)", "Recall (spam)", "F1", "ROC AUC"],
            rows=[[metrics["n"], metrics["accuracy"], metrics["precision"], metrics["recall"], metrics["f1"],
                   "n/a" if metrics.get("roc_auc") is None else metrics["roc_auc"]]]))
        cm = metrics["confusion_matrix"]
        blocks.append(_figure(
            "confusion_matrix",
            f"Of {cm[0][0] + cm[0][1]} wanted e-mails {cm[0][1]} were wrongly flagged as spam, and of "
            f"{cm[1][0] + cm[1][1]} spam e-mails {cm[1][0]} were missed.",
            "Confusion matrix: rows are the true class, columns the predicted class.",
            figures.confusion_matrix_figure(metrics)))
        roc = figures.roc_figure(metrics)
        if roc is not None:
            blocks.append(_figure(
                "roc", f"The closer the curve hugs the top-left corner the better; the area under it is "
                       f"{metrics['roc_auc']:.2f} (1.0 is perfect, 0.5 is guessing).",
                "ROC curve: true-positive rate against false-positive rate.", roc))
    else:
        blocks.append(Paragraph("The data has no labels, so no accuracy, confusion matrix or ROC curve is shown."))

    if not samples:
        blocks.append(Paragraph("No e-mail was explained in detail, so there are no modality or word charts; "
                                "explain some with analyze's --samples or --rows."))
        return Section(id="aggregate", title="All e-mails together", kind="aggregate", blocks=blocks,
                       intro="Scores explain the spam log-odds: positive values push toward spam, negative toward "
                             "ham.")
    blocks.append(_figure(
        "modality_panels",
        "How much of each decision comes from the text and how much from the picture, per e-mail, per class "
        "and as a text-versus-picture scatter.",
        "Four panels of text and image contributions to the spam score.",
        figures.modality_panels_figure(samples), wide=True))
    blocks.append(_figure(
        "estimator_agreement",
        "Each dot is one e-mail: if the three ways of measuring the text's share agreed, the dots would line up.",
        "Text share of the decision according to three estimators, per e-mail.",
        figures.estimator_agreement_figure(samples)))
    blocks.append(_modality_groups_table(results, shares))

    top = results["aggregate"]["top_words"]
    min_count = results["methods"].get("top_words", {}).get("min_count")
    for cls, colour in (("spam", "red"), ("ham", "blue")):
        if not top[cls]:
            needed = f" (--min-count {min_count})" if min_count is not None else ""
            blocks.append(Paragraph(f"No word pushed toward {cls} in enough explained e-mails{needed} to be listed; "
                                    f"explain more e-mails or lower --min-count."))
            continue
        blocks.append(_figure(
            f"top_words_{cls}",
            f"The words that most often pushed e-mails toward {cls} ({colour}), with their average push and how "
            f"many e-mails (n) had them among their strongest words.",
            f"Bar chart of the strongest words toward {cls}.", figures.top_words_figure(top[cls], cls)))
        blocks.append(Table(
            name=f"top_words_{cls}",
            caption=f"Words that push toward {cls}: how many explained e-mails had them among their strongest "
                    f"words and their average score.",
            columns=["Word", "E-mails", "Mean score"],
            rows=[[w["word"], w["count"], w["mean_score"]] for w in top[cls]]))
    return Section(id="aggregate", title="All e-mails together", kind="aggregate", blocks=blocks,
                   intro="Scores explain the spam log-odds: positive values push toward spam, negative toward ham.")


def _modality_groups_table(results: dict[str, Any], shares: list[dict[str, float | None]]) -> Table:
    samples = results["samples"]
    groups: list[tuple[str, list[int]]] = [("All explained", list(range(len(samples))))]
    for value, name in ((1, "True spam"), (0, "True ham")):
        groups.append((name, [i for i, s in enumerate(samples) if s["label"] == value]))
    for outcome in ("TP", "FP", "TN", "FN"):
        groups.append((f"Outcome {outcome}", [i for i, s in enumerate(samples) if s.get("outcome") == outcome]))
    rows = []
    for name, members in groups:
        if not members:
            continue
        rows.append([name, len(members)] + [_mean([shares[i][k] for i in members]) for k, _ in ESTIMATORS])
    return Table(
        name="modality_by_group",
        caption="Average share of the decision credited to the text (the rest goes to the picture), by group.",
        columns=["Group", "E-mails"] + [f"Text share ({label})" for _, label in ESTIMATORS],
        rows=[[r[0], r[1]] + ["n/a" if v is None else v for v in r[2:]] for r in rows], decimals=2)


def _word_spans(words: list[dict[str, Any]], text: str) -> tuple[list[WordSpan], list[LegendStop], float, str]:
    """Coloured spans for ``words``, aligned with the e-mail ``text`` to keep its spacing.

    Returns the spans, the legend, the colour scale and the text left after the last word.
    """
    scale = max((abs(float(w["score"])) for w in words), default=0.0)
    spans = []
    position = 0
    for w in words:
        score = float(w["score"])
        word = str(w["text"])
        background, colour = diverging_colour(score, scale)
        # Words come from the tokenizer in text order; one it rewrote (e.g. [UNK]) is not found, and
        # then it is shown after a plain space.
        found = text.find(word, position) if word else -1
        before = text[position:found] if found >= 0 else " "
        if not spans:
            before = before.lstrip()  # leading blank lines would only push the text down
        position = found + len(word) if found >= 0 else position
        spans.append(WordSpan(text=word, score=score, background=background, color=colour,
                              direction=_direction(score, scale), before=before))
    legend = []
    for fraction, label in ((-1.0, "strongly toward ham"), (-0.5, "toward ham"), (0.0, "neutral"),
                            (0.5, "toward spam"), (1.0, "strongly toward spam")):
        background, colour = diverging_colour(fraction, 1.0)
        legend.append(LegendStop(label=label, background=background, color=colour,
                                 direction=_direction(fraction, 1.0)))
    return spans, legend, scale, (text[position:] if words else text).rstrip()


def _sample(methods: dict[str, Any], index: int, sample: dict[str, Any], share: dict[str, float | None],
            attention_layer: int | None, attention_head: int | None) -> SampleSection:
    figures = _figures_module()
    row = sample["row"]
    label, prediction = CLASS_NAMES[sample["label"]], CLASS_NAMES[sample["prediction"]]
    correct = None if sample["label"] is None else sample["label"] == sample["prediction"]
    p_spam = float(sample["probabilities"]["spam"])
    confidence = p_spam if sample["prediction"] == 1 else 1 - p_spam
    if correct is None:
        verdict = f"The model called this e-mail {prediction} ({_pct(confidence, 1)} sure); its true label is unknown."
    else:
        verdict = (f"The model called this e-mail {prediction} ({_pct(confidence, 1)} sure) and it is {label}: "
                   f"{'correct' if correct else 'a mistake'}.")
    sid = f"sample-{index + 1}"
    blocks: list[Block] = []
    ig = sample["integrated_gradients"]
    facts = [("Row", str(row)), ("True label", label), ("Prediction", prediction),
             ("P(spam)", f"{p_spam:.3f}"), ("P(ham)", f"{float(sample['probabilities']['ham']):.3f}")]
    if sample.get("logits"):
        facts.append(("Spam log-odds", f"{float(sample['logits']['spam']) - float(sample['logits']['ham']):+.3f}"))
    if sample.get("outcome"):
        facts.append(("Outcome", str(sample["outcome"])))
    facts.append(("Why chosen", str(sample.get("reason", "—"))))
    facts.append(("Picture", str(sample.get("pic", "—"))))
    blocks.append(Facts(facts, name=f"{sid}-facts"))

    warnings = []
    relative = ig.get("relative_delta", ig_relative_delta(ig["delta"], ig["f_input"], ig["f_baseline"]))
    flagged = bool(ig.get("flagged", ig_flagged(ig["delta"], ig["f_input"], ig["f_baseline"])))
    if flagged:
        warnings.append(f"Integrated Gradients did not converge well for this e-mail: the attributions miss "
                        f"{100 * relative:.1f} % of the score change (more than {100 * IG_RELATIVE_DELTA_LIMIT:.0f} %). "
                        f"Treat its word and picture scores as approximate; more --ig-steps would help.")

    spans, legend, scale, unread = _word_spans(sample["words"], str(sample["text"]))
    unread_note = (" Grey italic text at the end lies beyond the model's length limit and was not read."
                   if unread.strip() else "")
    blocks.append(HighlightedText(
        name=f"{sid}-text",
        caption=f"Each word is coloured by how strongly it pushed this e-mail toward spam (red) or toward ham "
                f"(blue); the strongest word scores {scale:.3f}.{unread_note}",
        spans=spans, legend=legend, unread=unread if unread.strip() else ""))

    picture = sample.get("picture")
    blocks.append(_raster_figure(
        f"{sid}_image_ig",
        "Where in the picture the model found evidence: red areas pushed toward spam, blue toward ham.",
        f"Picture of e-mail row {row} with its Integrated Gradients heatmap on top.",
        figures.image_overlay_figure(picture, sample["image_scores"], signed=True,
                                     title="Integrated Gradients")))
    image_rollout = (sample["attention"].get("image") or {}).get("rollout")
    if image_rollout:
        blocks.append(_raster_figure(
            f"{sid}_image_rollout",
            "Where the picture encoder looked: brighter areas received more attention (attention does not say "
            "which way they pushed).",
            f"Picture of e-mail row {row} with its attention rollout on top.",
            figures.image_overlay_figure(picture, image_rollout, signed=False, title="Attention rollout")))

    blocks.append(_raster_figure(
        f"{sid}_modality",
        "How much of this decision came from the text and how much from the picture, by each of three methods.",
        "Bar chart of the text and image contributions from Integrated Gradients, Shapley values and attention.",
        figures.modality_split_figure(sample["modality"])))
    blocks.append(Table(
        name=f"{sid}_modality",
        caption="Text and picture contributions by each estimator and the text's share.",
        columns=["Estimator", "Text", "Picture", "Text share", "Leading source"],
        rows=[[label_, float(sample["modality"][key]["text"]), float(sample["modality"][key]["image"]),
               "n/a" if share[key] is None else share[key], _dominant(share[key])] for key, label_ in ESTIMATORS],
        decimals=3))

    ranked = sorted(sample["words"], key=lambda w: -abs(float(w["score"])))
    toward_spam = [w for w in ranked if float(w["score"]) > 0][:5]
    toward_ham = [w for w in ranked if float(w["score"]) < 0][:5]
    blocks.append(Table(
        name=f"{sid}_top_words", caption="The words of this e-mail with the strongest push in each direction.",
        columns=["Toward spam", "Score", "Toward ham", "Score"],
        rows=[[s["text"] if s else "", float(s["score"]) if s else "", h["text"] if h else "",
               float(h["score"]) if h else ""]
              for s, h in _zip_longest(toward_spam, toward_ham)]))

    blocks.extend(_attention_blocks(sid, sample, attention_layer, attention_head))
    baseline = {"white": "a blank white", "black": "a black", "blur": "a blurred"}.get(
        str(methods.get("integrated_gradients", {}).get("image_baseline")), "the baseline")
    convergence = figures.ig_convergence_figure(ig)
    if convergence is not None:
        blocks.append(_raster_figure(
            f"{sid}_ig_convergence",
            f"The model's spam score along a straight path from the baseline (no words, {baseline} picture) to this "
            f"e-mail; the word and picture scores "
            f"add up to the total change up to a gap of {100 * relative:.1f} %.",
            "Line chart of the model output along the Integrated Gradients path.", convergence))
    title = f"Row {row}: {label} e-mail, predicted {prediction}"
    return SampleSection(id=sid, title=title, row=row, label=label, prediction=prediction,
                         outcome=str(sample.get("outcome") or ""), correct=correct, prob_spam=p_spam,
                         reason=str(sample.get("reason", "")), pic=str(sample.get("pic", "")), verdict=verdict,
                         blocks=blocks, warnings=warnings)


def _zip_longest(a: list[Any], b: list[Any]) -> list[tuple[Any, Any]]:
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n)]


def _attention_blocks(sid: str, sample: dict[str, Any], layer: int | None, head: int | None) -> list[Block]:
    """Text attention heatmap of the chosen layer/head and the text rollout."""
    figures = _figures_module()
    text_attention = sample["attention"].get("text") or {}
    tokens = sample["tokens"]
    selected = text_attention.get("selected") or {}
    cls_rows = text_attention.get("cls_rows") or []
    blocks: list[Block] = []
    stored_layer, stored_head = selected.get("layer"), selected.get("head")
    if head is not None and stored_head != head:
        raise ResultsError(
            f"results.json stores text attention of head {stored_head!r} only; re-run analyze with "
            f"--attention-head {head} to show head {head}")
    n_layers = len(cls_rows)
    if layer is not None:
        if not -n_layers <= layer < n_layers:
            raise ResultsError(f"results.json has {n_layers} text attention layers; --attention-layer {layer} "
                               f"is out of range")
        layer %= n_layers  # -1 = last, as in analyze
    counting = f"0 = first, {n_layers - 1} = last" if n_layers else "0 = first"
    if layer is None or layer == stored_layer:
        if selected.get("matrix"):
            head_text = "the mean of all heads" if stored_head in (None, "mean") else f"head {stored_head}"
            blocks.append(_raster_figure(
                f"{sid}_attention",
                f"Which words each word attends to in text layer {stored_layer} ({counting}; {head_text}); "
                f"brighter cells mean more attention.",
                f"Heatmap of text self-attention, layer {stored_layer}, {head_text}.",
                figures.attention_heatmap_figure(tokens, selected["matrix"],
                                                 title=f"Layer {stored_layer}, {head_text}")))
    else:
        blocks.append(_raster_figure(
            f"{sid}_attention",
            f"How much the [CLS] summary position attends to each word in text layer {layer} ({counting}; mean "
            f"of all heads).",
            f"Bar chart of [CLS] attention over the tokens, layer {layer}.",
            figures.text_rollout_figure(tokens, cls_rows[layer], title=f"Layer {layer}: attention from [CLS], "
                                                                        f"mean of heads")))
    rollout = text_attention.get("rollout")
    if rollout:
        blocks.append(_raster_figure(
            f"{sid}_text_rollout",
            "Attention rollout: how much each word feeds the model's summary after all text layers (attention "
            "shows where the model looked, not which way a word pushed).",
            "Bar chart of attention rollout over the tokens.", figures.text_rollout_figure(tokens, rollout)))
    return blocks


def _samples_section(samples: list[SampleSection]) -> Section:
    if not samples:
        return Section(id="samples", title="E-mails one by one", kind="samples",
                       blocks=[Paragraph("No e-mail was explained in detail (analyze's --samples or --rows choose "
                                         "which ones are).")])
    table = Table(
        name="sample_index", caption="The e-mails explained in detail; the number in the first column leads to each one.",
        columns=["#", "Row", "True label", "Prediction", "P(spam)", "Outcome", "Why chosen"],
        rows=[[i + 1, s.row, s.label, s.prediction, s.prob_spam, s.outcome or "—", s.reason]
              for i, s in enumerate(samples)],
        links=[f"#{s.id}" for s in samples])
    return Section(id="samples", title="E-mails one by one", kind="samples", blocks=[table],
                   intro="Each e-mail below shows what the model decided, which words and which parts of the "
                         "picture drove the decision, and how much came from text versus picture.")


def _methods(results: dict[str, Any]) -> Section:
    methods = results["methods"]
    ig = methods.get("integrated_gradients", {})
    blocks: list[Block] = [
        Paragraph(f"What is explained: {methods['explained_quantity']}. Every score in this report is a share of "
                  f"this number: positive pushes toward spam, negative toward ham."),
        Paragraph("Integrated Gradients (Sundararajan et al., 2017) accumulates the model's gradients along a "
                  "straight path from a baseline input to the real one; the word and picture-patch scores add up "
                  "to the change in the spam score between the baseline and the e-mail. The gap that is left "
                  "(convergence delta) is reported per e-mail and flagged above "
                  f"{100 * float(ig.get('relative_delta_limit', IG_RELATIVE_DELTA_LIMIT)):.0f} % of that change "
                  f"(gaps under {float(ig.get('absolute_delta_floor', IG_ABSOLUTE_DELTA_FLOOR))} log-odds excepted: "
                  "they change no conclusion even when the e-mail scores like its baseline)."),
        Paragraph("Shapley values (two players: text and picture) are computed exactly from four model runs: both "
                  "inputs, text only, picture only and neither (the baselines replace the missing input). The two "
                  "values add up exactly to f(full) − f(none)."),
        Paragraph("Fusion attention share is how much attention the fusion layer's first position puts on text "
                  "versus picture tokens. Attention shows where the model looked, not which way it pushed, so it "
                  "can disagree with the two attribution methods."),
        Paragraph(f"Each e-mail's attention heatmap shows {_attention_layer_text(methods)} and "
                  f"{_attention_head_text(methods)}; attention rollout (Abnar and Zuidema, 2020) multiplies the "
                  f"attention of all layers to show how much each word reaches the model's summary. Choose another "
                  f"layer or head with --attention-layer / --attention-head (analyze stores one head; render can "
                  f"switch layers)."),
        Paragraph(f"A source is called dominant when its median share is at least {100 * TEXT_DOMINANT:.0f} % "
                  f"(text) or at most {100 * IMAGE_DOMINANT:.0f} % (picture); otherwise the split is called balanced. Top words count how often a word was among an "
                  f"e-mail's strongest words and average its signed score."),
        Paragraph("Limitations: attributions explain this model on these e-mails, not spam in general; baselines "
                  "are a choice (a blank page is not 'no information'); a handful of explained e-mails is not a "
                  "statistical sample.", kind="text"),
    ]
    for key, title in (("integrated_gradients", "Integrated Gradients settings"), ("attention", "Attention settings"),
                       ("modality", "Modality settings"), ("top_words", "Top-word settings"),
                       ("sample_selection", "Sample selection")):
        if methods.get(key):
            blocks.append(Table(name=f"methods_{key}", caption=title, columns=["Setting", "Value"],
                                rows=_flatten(methods[key])))
    return Section(id="methods", title="Methods", kind="appendix", blocks=blocks)


def _attention_layer_text(methods: dict[str, Any]) -> str:
    layer = (methods.get("attention") or {}).get("layer", -1)
    return "the last text layer (the default)" if layer in (-1, None) else f"text layer {layer} (counting from 0)"


def _attention_head_text(methods: dict[str, Any]) -> str:
    head = (methods.get("attention") or {}).get("head", "mean")
    return "the mean of all heads (the default)" if head in (None, "mean") else f"head {head}"


def _flatten(value: Any, prefix: str = "") -> list[list[Any]]:
    """Nested dicts as (dotted key, value) rows, sorted for determinism."""
    rows: list[list[Any]] = []
    if isinstance(value, dict):
        for key in sorted(value):
            rows.extend(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value):
            rows.extend(_flatten(item, f"{prefix}[{i}]"))
    else:
        text = "null" if value is None else ", ".join(map(str, value)) if isinstance(value, list) else value
        rows.append([prefix, text if isinstance(text, (int, float)) and not isinstance(text, bool) else str(text)])
    return rows


def _reproducibility(results: dict[str, Any]) -> Section:
    gen, model, dataset = results["generator"], results["model"], results["dataset"]
    blocks: list[Block] = [
        Paragraph("Everything needed to reproduce this report. Re-running the command below with the same "
                  "checkpoint (same sha256), data and package versions gives the same numbers."),
        Facts([("Command", gen["command"]), ("Generator", f"{gen['name']} {gen['version']}"),
               ("Created", gen.get("created") or "not recorded (deterministic run)"),
               ("Seed", str(gen.get("seed", "not recorded"))), ("Device", str(gen.get("device", "not recorded"))),
               ("Checkpoint", str(model["path"])), ("sha256", str(model["sha256"])),
               ("Format", str(model.get("format", "—"))), ("Tokenizer", str(model.get("tokenizer", "—"))),
               ("Image processor", str(model.get("image_processor", "—")))], name="reproducibility-facts",
              layout="list"),
        Table(name="architecture", caption="Model configuration inferred from the checkpoint.",
              columns=["Setting", "Value"], rows=_flatten(model.get("architecture", {}))),
        Table(name="dataset", caption="The data the report was computed on.", columns=["Setting", "Value"],
              rows=_flatten({k: v for k, v in dataset.items() if k != "skipped"})),
    ]
    if dataset.get("skipped"):
        blocks.append(Table(name="skipped_rows", caption="Rows that could not be used, and why.",
                            columns=["Row", "Picture", "Reason"],
                            rows=[[s["row"], s.get("pic", ""), s["reason"]] for s in dataset["skipped"]]))
    for key, title in (("options", "Options"), ("packages", "Package versions"), ("timings", "Timings (seconds)")):
        if gen.get(key):
            blocks.append(Table(name=f"generator_{key}", caption=title, columns=["Name", "Value"],
                                rows=_flatten(gen[key]), decimals=2))
    return Section(id="reproducibility", title="Reproducibility", kind="appendix", blocks=blocks)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def build_document(results: dict[str, Any], *, attention_layer: int | None = None,
                   attention_head: int | None = None, keep_figures: bool = True,
                   workers: int | None = None) -> Report:
    """Build the report's view model from a (validated) results dict.

    Args:
        results: a results.json dict (see reportgen/schema/results.schema.json).
        attention_layer: text layer for the per-sample attention heatmap; None = the layer stored in
            results.json (the analysis default: the last layer). Other layers show the [CLS] row.
        attention_head: head for the heatmap; only the head stored in results.json can be shown.
        keep_figures: keep each matplotlib Figure on its :class:`Figure` block (needed by
            :func:`reportgen.assets.export_assets`); False frees them once serialised.
        workers: processes that draw the per-sample figures; ``None`` = one per available CPU
            when there are at least :data:`PARALLEL_MIN_SAMPLES` samples and figures need not be
            kept, else 1 (this process). The document is the same whatever the number.

    Returns:
        The :class:`Report`, sections in reading order: summary, aggregate, samples, methods,
        reproducibility.

    Raises:
        ResultsError: the requested attention layer/head is not in results.json.
    """
    token = _KEEP_FIGURES.set(keep_figures)
    try:
        return _build(results, attention_layer, attention_head, workers)
    finally:
        _KEEP_FIGURES.reset(token)


#: Fewer samples than this are drawn in this process: starting worker processes would cost more.
PARALLEL_MIN_SAMPLES = 6
#: Most worker processes used (each holds its own matplotlib, ~100 MB).
MAX_WORKERS = 8


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _worker_count(n_samples: int, workers: int | None) -> int:
    if workers is not None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        return min(workers, max(1, n_samples))
    # Figures handed back across processes would have to be pickled: asset export draws in-process.
    if n_samples < PARALLEL_MIN_SAMPLES or _KEEP_FIGURES.get():
        return 1
    return max(1, min(_available_cpus(), MAX_WORKERS, n_samples))


def _sample_job(job: tuple[Any, ...]) -> SampleSection:
    """One sample's section, in a worker process (figures are never kept there)."""
    methods, index, sample, share, attention_layer, attention_head = job
    token = _KEEP_FIGURES.set(False)
    try:
        return _sample(methods, index, sample, share, attention_layer, attention_head)
    finally:
        _KEEP_FIGURES.reset(token)


def _start_method() -> str | None:
    """How to start worker processes here, or ``None`` to draw in this process.

    fork starts workers at once with every module already imported. But a process that has loaded
    torch (``reportgen run``/``demo``) runs OpenMP and other threads whose locks a forked child
    would inherit, so it gets fresh (spawned) workers. A spawned worker first re-imports the
    main script; that is only safe when the script guards its work with ``if __name__ ==
    "__main__"`` (console scripts and ``python -m`` do), so an unguarded script draws serially.
    """
    import sys

    if sys.platform.startswith("linux") and "torch" not in sys.modules:
        return "fork"
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec = getattr(main, "__spec__", None)
    if path is None or (spec is not None and spec.name.endswith("__main__")):
        return "spawn"  # interactive session or `python -m package`: nothing is re-run
    try:
        source = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError):
        return None
    guarded = re.search(r"""if\s+__name__\s*==\s*['"]__main__['"]""", source)
    return "spawn" if guarded else None


@contextmanager
def _samples(results: dict[str, Any], shares: list[dict[str, float | None]], attention_layer: int | None,
             attention_head: int | None, workers: int | None) -> Iterator[Callable[[], list[SampleSection]]]:
    """Start drawing every sample's section; the context yields a function that returns them in order.

    Matplotlib drawing is single-threaded Python, so the per-sample figures (the bulk of a large
    report's render time) only use more than one core from separate processes. While the workers
    draw, the caller builds the aggregate section in this process.
    """
    raw = results["samples"]
    count = _worker_count(len(raw), workers)
    method = _start_method() if count > 1 else None
    if method is None:
        yield lambda: [_sample(results["methods"], i, s, shares[i], attention_layer, attention_head)
                       for i, s in enumerate(raw)]
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Only what _sample reads goes to the workers.
    jobs = [(results["methods"], i, s, shares[i], attention_layer, attention_head) for i, s in enumerate(raw)]
    # Small chunks: a worker that falls behind (this process also draws the aggregate charts) leaves
    # little work for the other to wait on at the end.
    chunk = max(1, len(jobs) // (16 * count))
    with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context(method)) as pool:
        # map submits every job now and returns results in input order: the document does not
        # depend on which worker finished first.
        pending = pool.map(_sample_job, jobs, chunksize=chunk)
        try:
            yield lambda: list(pending)
        except BaseException:
            # An error (or Ctrl-C) in this process: do not wait for the remaining figures.
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _build(results: dict[str, Any], attention_layer: int | None, attention_head: int | None,
           workers: int | None) -> Report:
    shares = [_shares(s["modality"]) for s in results["samples"]]
    with _samples(results, shares, attention_layer, attention_head, workers) as collect:
        summary, aggregate = _summary(results, shares), _aggregate(results, shares)
        samples = collect()
    model = results["model"]
    report = Report(
        title="Spam detector explanation report",
        subtitle=f"{model['path']} on {results['dataset']['csv']}",
        created=results["generator"].get("created"),
        sections=[summary, aggregate, _samples_section(samples), _methods(results), _reproducibility(results)],
        samples=samples,
    )
    return report


def finite(value: Any) -> bool:
    """True for a finite int/float (templates use it to decide number formatting)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
