""""All e-mails together": accuracy, the modality split across e-mails and the words that push.

The section is a list of block builders (:data:`EXPLANATION_BLOCKS`) run in order on an
:class:`OverviewInput`; a new explanation method adds its charts by appending one builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportgen.names import ESTIMATOR_NAMES, ESTIMATORS, OUTCOME_NAMES, OUTCOMES
from reportgen.report import figures
from reportgen.report.document import Block, Paragraph, Section, Table
from reportgen.report.sections.common import Shares, chart, mean

_INTRO = "Scores explain the spam log-odds: positive values push toward spam, negative toward ham."


@dataclass(frozen=True)
class OverviewInput:
    """What the overview's block builders read."""

    results: dict[str, Any]
    #: per explained sample, the text share of each estimator
    shares: list[Shares]
    #: keep matplotlib figures on the blocks (asset export)
    keep_figures: bool

    @property
    def samples(self) -> list[dict[str, Any]]:
        """The explained samples of results.json."""
        return self.results["samples"]


def overview_section(results: dict[str, Any], shares: list[Shares], *, keep_figures: bool) -> Section:
    """The "All e-mails together" section (id ``aggregate``).

    Args:
        results: a validated results.json dict.
        shares: per explained sample, the text share of each estimator.
        keep_figures: keep the matplotlib figures on the :class:`Figure` blocks.
    """
    context = OverviewInput(results, shares, keep_figures)
    blocks = _metrics_blocks(context)
    if not context.samples:
        blocks.append(Paragraph("No e-mail was explained in detail, so there are no modality or word charts; "
                                "explain some with analyze's --samples or --rows."))
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
              "Confusion matrix: rows are the true class, columns the predicted class.",
              figures.confusion_matrix_figure(metrics), keep=context.keep_figures),
    ]
    roc = figures.roc_figure(metrics)
    if roc is not None:
        blocks.append(chart(
            "roc", f"The closer the curve hugs the top-left corner the better; the area under it is "
                   f"{metrics['roc_auc']:.2f} (1.0 is perfect, 0.5 is guessing).",
            "ROC curve: true-positive rate against false-positive rate.", roc, keep=context.keep_figures))
    return blocks


def _modality_blocks(context: OverviewInput) -> list[Block]:
    return [
        chart("modality_panels",
              "How much of each decision comes from the text and how much from the picture, per e-mail, per class "
              "and as a text-versus-picture scatter.",
              "Four panels of text and image contributions to the spam score.",
              figures.modality_panels_figure(context.samples), keep=context.keep_figures, wide=True),
        chart("estimator_agreement",
              "Each dot is one e-mail: if the three ways of measuring the text's share agreed, the dots would line "
              "up.",
              "Text share of the decision according to three estimators, per e-mail.",
              figures.estimator_agreement_figure(context.samples), keep=context.keep_figures),
        _modality_groups_table(context),
    ]


def _modality_groups_table(context: OverviewInput) -> Table:
    samples, shares = context.samples, context.shares
    groups: list[tuple[str, list[int]]] = [("All explained", list(range(len(samples))))]
    for value, name in ((1, "True spam"), (0, "True ham")):
        groups.append((name, [i for i, s in enumerate(samples) if s["label"] == value]))
    for outcome in OUTCOMES:
        groups.append((f"Outcome {outcome} ({OUTCOME_NAMES[outcome]})",
                       [i for i, s in enumerate(samples) if s.get("outcome") == outcome]))
    rows = []
    for name, members in groups:
        if not members:
            continue
        means = [mean([shares[i][key] for i in members]) for key in ESTIMATORS]
        rows.append([name, len(members)] + ["n/a" if v is None else v for v in means])
    return Table(
        name="modality_by_group",
        caption="Average share of the decision credited to the text (the rest goes to the picture), by group.",
        columns=["Group", "E-mails"] + [f"Text share ({ESTIMATOR_NAMES[key]})" for key in ESTIMATORS],
        rows=rows, decimals=2)


def _top_word_blocks(context: OverviewInput) -> list[Block]:
    top = context.results["aggregate"]["top_words"]
    min_count = context.results["methods"].get("top_words", {}).get("min_count")
    blocks: list[Block] = []
    for cls, colour in (("spam", "red"), ("ham", "blue")):
        if not top[cls]:
            needed = f" (--min-count {min_count})" if min_count is not None else ""
            blocks.append(Paragraph(f"No word pushed toward {cls} in enough explained e-mails{needed} to be listed; "
                                    f"explain more e-mails or lower --min-count."))
            continue
        blocks.append(chart(
            f"top_words_{cls}",
            f"The words that most often pushed e-mails toward {cls} ({colour}), with their average push and how "
            f"many e-mails (n) had them among their strongest words.",
            f"Bar chart of the strongest words toward {cls}.", figures.top_words_figure(top[cls], cls),
            keep=context.keep_figures))
        blocks.append(Table(
            name=f"top_words_{cls}",
            caption=f"Words that push toward {cls}: how many explained e-mails had them among their strongest "
                    f"words and their average score.",
            columns=["Word", "E-mails", "Mean score"],
            rows=[[w["word"], w["count"], w["mean_score"]] for w in top[cls]]))
    return blocks


#: The blocks shown when some e-mails were explained, in reading order.
EXPLANATION_BLOCKS: tuple[Callable[[OverviewInput], list[Block]], ...] = (_modality_blocks, _top_word_blocks)
