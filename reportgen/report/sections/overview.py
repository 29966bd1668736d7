""""All e-mails together": accuracy, text or picture over every e-mail, the explained e-mails' splits, words.

The section is a list of block builders (:data:`EXPLANATION_BLOCKS`) run in order on an
:class:`OverviewInput`; a new explanation method adds its charts by appending one builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportgen.names import OUTCOME_NAMES
from reportgen.report import figures, wording
from reportgen.report.document import Block, Paragraph, Section, Table
from reportgen.report.sections.common import UNDETERMINED_LANGUAGE, chart, word_languages

_INTRO = "Scores explain the spam log-odds: positive values push toward spam, negative toward ham."


@dataclass(frozen=True)
class OverviewInput:
    """What the overview's block builders read."""

    results: dict[str, Any]
    #: keep matplotlib figures on the blocks (asset export)
    keep_figures: bool

    @property
    def samples(self) -> list[dict[str, Any]]:
        """The explained samples of results.json."""
        return self.results["samples"]


def overview_section(results: dict[str, Any], *, keep_figures: bool) -> Section:
    """The "All e-mails together" section (id ``aggregate``).

    Args:
        results: a validated results.json dict.
        keep_figures: keep the matplotlib figures on the :class:`Figure` blocks.
    """
    context = OverviewInput(results, keep_figures)
    blocks = _metrics_blocks(context) + _verdict_blocks(context)
    if not context.samples:
        blocks.append(Paragraph("No e-mail was explained in detail, so there are no per-e-mail modality or word "
                                "charts; explain some with analyze's --samples or --rows."))
    else:
        for build in EXPLANATION_BLOCKS:
            blocks.extend(build(context))
    return Section(id="aggregate", title="All e-mails together", kind="aggregate", blocks=blocks, intro=_INTRO)


def _metrics_blocks(context: OverviewInput) -> list[Block]:
    metrics = context.results["metrics"]
    if not metrics:
        return [Paragraph("The data has no labels, so no accuracy, confusion matrix or ROC curve is shown.")]
    cm = metrics["confusion_matrix"]
    blocks: list[Block] = [
        Table(name="metrics", caption="How often the model is right, measured on every labelled e-mail.",
              columns=["E-mails", "Accuracy", "Precision (spam)", "Recall (spam)", "F1", "ROC AUC"],
              rows=[[metrics["n"], metrics["accuracy"], metrics["precision"], metrics["recall"], metrics["f1"],
                     "n/a" if metrics.get("roc_auc") is None else metrics["roc_auc"]]]),
        chart("confusion_matrix",
              f"Of {cm[0][0] + cm[0][1]} wanted e-mails {cm[0][1]} were wrongly flagged as spam, and of "
              f"{cm[1][0] + cm[1][1]} spam e-mails {cm[1][0]} were missed.",
              f"Confusion matrix, rows the true class and columns the predicted class: {cm[0][0]} ham kept, "
              f"{cm[0][1]} ham flagged as spam, {cm[1][0]} spam missed, {cm[1][1]} spam caught.",
              figures.confusion_matrix_figure(metrics), keep=context.keep_figures),
    ]
    roc = figures.roc_figure(metrics)
    if roc is not None:
        blocks.append(chart(
            "roc", f"The closer the curve hugs the top-left corner the better; the area under it is "
                   f"{metrics['roc_auc']:.2f} (1.0 is perfect, 0.5 is guessing).",
            f"ROC curve: true-positive rate against false-positive rate; area under the curve "
            f"{metrics['roc_auc']:.2f}.", roc, keep=context.keep_figures))
    return blocks


def _verdict_blocks(context: OverviewInput) -> list[Block]:
    """Text or picture over every predicted e-mail and by group: the verdict's evidence."""
    aggregate = context.results["aggregate"]
    rows = _verdict_rows(aggregate)
    table_rows = []
    for name, group in rows:
        ci = group.get("ci95")
        table_rows.append([name, group["n"], group["n_decided_by_default"], wording.percent(group["text_share"]),
                           "—" if not ci else f"{100 * ci[0]:.0f}–{100 * ci[1]:.0f}\u00a0%",
                           wording.SOURCE_LABELS[group["leading"]] + (" (uncertain)" if group["hedged"] else "")])
    return [
        Table(name="verdict_groups",
              caption="Text or picture, by group: the mean share of the push toward the decision that came from the "
                      "text (the picture has the rest), with its 95 % bootstrap interval, over every predicted e-mail "
                      "not decided by default (those are counted separately).",
              columns=["Group", "E-mails counted", "Decided by default", "Text share", "95 % interval",
                       "Leading source"],
              rows=table_rows),
        chart("verdict_groups",
              "The text's share of the push toward each decision, with its 95 % interval, over every predicted "
              "e-mail and by group; the shaded bands are where the text (right) or the picture (left) leads.",
              "Dot-and-interval chart of the mean text share by group.",
              figures.verdict_groups_figure(rows), keep=context.keep_figures),
    ]


def _verdict_rows(aggregate: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(group name, share summary) in reading order: all, by true class, by outcome, by language."""
    groups = aggregate["groups"]
    rows = [("All predicted e-mails", aggregate["verdict"])]
    rows += [(f"True {name}", group) for name, group in groups["true_class"].items()]
    rows += [(f"Outcome {name} ({OUTCOME_NAMES[name]})", group) for name, group in groups["outcome"].items()]
    rows += [(f"Language {name}", group) for name, group in groups["language"].items()]
    return rows


def _modality_blocks(context: OverviewInput) -> list[Block]:
    agreement = context.results["aggregate"]["ig_agreement"]
    return [
        chart("modality_panels",
              "The explained e-mails: how much the text and the picture moved each one's spam score (Shapley values, "
              "log-odds), the text's share of the push toward the decision, by true class, and text against "
              "picture.",
              "Four panels of text and picture contributions to the spam score.",
              figures.modality_panels_figure(context.samples), keep=context.keep_figures, wide=True),
        chart("estimator_agreement",
              f"A check, not a vote: Integrated Gradients names the same leading source as Shapley for "
              f"{agreement['n_agree']} of {agreement['n_compared']} explained e-mails. If the two splits agreed "
              f"exactly the two markers of a row would coincide.",
              "Text share of the push toward the decision per e-mail under Shapley and Integrated Gradients.",
              figures.estimator_agreement_figure(context.samples), keep=context.keep_figures),
    ]


def _top_word_blocks(context: OverviewInput) -> list[Block]:
    top = context.results["aggregate"]["top_words"]
    min_count = context.results["methods"].get("top_words", {}).get("min_count")
    languages = word_languages(context.samples)
    blocks: list[Block] = []
    for cls, colour in (("spam", "red"), ("ham", "blue")):
        if not top[cls]:
            needed = f" (--min-count {min_count})" if min_count is not None else ""
            blocks.append(Paragraph(f"No word pushed toward {cls} in enough explained e-mails{needed} to be listed; "
                                    f"explain more e-mails or lower --min-count."))
            continue
        blocks.append(chart(
            f"top_words_{cls}",
            f"Words whose mean score pushes toward {cls} ({colour}), with how many explained e-mails had them "
            f"among their strongest words and how many they were seen in (n = strongest / seen). Punctuation and "
            f"numbers are marked and listed after the words.",
            f"Bar chart of the strongest words toward {cls}, led by "
            f"{', '.join(str(w['word'])[:30] for w in top[cls][:3])}.", figures.top_words_figure(top[cls], cls),
            keep=context.keep_figures))
        blocks.append(Table(
            name=f"top_words_{cls}",
            caption=f"Words that push toward {cls} on average: a word appears in one list only, by the sign of its "
                    f"mean score (log-odds) over the e-mails it was seen in.",
            columns=["Word", "Kind", "Among strongest in", "Seen in", "Mean score"],
            rows=[[w["word"], w.get("kind", "word"), w["count"], w.get("n_seen", w["count"]), w["mean_score"]]
                  for w in top[cls]],
            langs=[[languages.get(str(w["word"]), UNDETERMINED_LANGUAGE), "", "", "", ""] for w in top[cls]]))
    return blocks


#: The blocks shown when some e-mails were explained, in reading order.
EXPLANATION_BLOCKS: tuple[Callable[[OverviewInput], list[Block]], ...] = (_modality_blocks, _top_word_blocks)
