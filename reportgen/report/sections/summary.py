"""The summary: what the model is, how often it is right, what it leans on, which words push, warnings.

Every sentence here follows from numbers shown further down the report.
"""

from __future__ import annotations

from typing import Any

from reportgen.names import ESTIMATOR_NAMES, ESTIMATORS
from reportgen.report.document import Block, Facts, Paragraph, Section
from reportgen.report.sections.common import Shares, dominant, is_word, median, pct
from reportgen.report.sections.trust import summary_sentence

#: The aggregate verdict label → where the decisions lean, in words.
_LEAN = {"text-dominant": "mostly on the text", "image-dominant": "mostly on the picture",
         "balanced": "on the text and the picture about equally"}


def summary_section(results: dict[str, Any], shares: list[Shares]) -> Section:
    """The summary section.

    Args:
        results: a validated results.json dict.
        shares: per explained sample, the text share of each estimator
            (:func:`reportgen.report.sections.common.shares`).

    Returns:
        The section (id ``summary``).
    """
    model, dataset, metrics = results["model"], results["dataset"], results["metrics"]
    samples = results["samples"]
    blocks: list[Block] = [_lead(model), Paragraph(_data_sentence(dataset, metrics))]
    if samples:
        verdict = results["aggregate"]["modality"]["verdict"]
        lean = _LEAN.get(verdict["label"], "on an unknown mix")
        blocks.append(_modality_paragraph(verdict, lean, shares))
        blocks.append(_words_paragraph(results["aggregate"]["top_words"]))
        blocks.append(Paragraph(f"Can these explanations be trusted? {summary_sentence(results)}"))
        leans_on = lean.replace("mostly on ", "").replace("on ", "", 1)
    else:
        blocks.append(Paragraph("No e-mail was explained in detail, so this report has predictions and accuracy "
                                "but no explanation of which words or parts of the picture drove them."))
        leans_on = "not measured"
    blocks.append(_key_facts(model, dataset, metrics, len(samples), leans_on))
    warnings = list(results["aggregate"].get("warnings", []))
    if warnings:
        blocks.append(Paragraph("Warnings", kind="heading"))
        blocks.extend(Paragraph(w, kind="warning") for w in warnings)
    return Section(id="summary", title="Summary", kind="summary", blocks=blocks)


def _lead(model: dict[str, Any]) -> Paragraph:
    params = model.get("parameters")
    size = ("" if not params else f" with {params / 1e6:.0f} million parameters" if params >= 1e6
            else f" with {params:,} parameters")
    return Paragraph(
        f"This report explains how the e-mail spam detector at {model['path']}{size} decides whether an e-mail "
        f"is spam or ham (wanted mail). The model reads both the text of an e-mail and a picture of it.",
        kind="lead")


def _data_sentence(dataset: dict[str, Any], metrics: dict[str, Any] | None) -> str:
    skipped = len(dataset.get("skipped", []))
    skipped_text = f"; {skipped} row(s) could not be used and were skipped" if skipped else ""
    sentence = (f"It was run on {dataset['n_selected']} e-mails from {dataset['csv']} "
                f"(selection: {dataset['selection']}){skipped_text}.")
    if not metrics:
        return sentence + " The data has no labels, so accuracy cannot be measured."
    cm = metrics["confusion_matrix"]
    errors = cm[0][1] + cm[1][0]
    return sentence + (f" It labelled {pct(metrics['accuracy'])} of them correctly ({errors} mistake(s): "
                       f"{cm[0][1]} wanted e-mail(s) flagged as spam, {cm[1][0]} spam e-mail(s) let through).")


def _modality_paragraph(verdict: dict[str, Any], lean: str, shares: list[Shares]) -> Paragraph:
    n = len(shares)
    medians = {key: median([s[key] for s in shares]) for key in ESTIMATORS}
    agree = sum(1 for s in shares if len({dominant(s[k]) for k in ESTIMATORS}) == 1)
    estimator_text = "; ".join(f"{ESTIMATOR_NAMES[key]} {pct(medians[key])}" for key in ESTIMATORS)
    overall_agree = ("All three methods reach this verdict." if verdict.get("agree")
                     else "The three methods do not all reach this verdict, so read it with care.")
    return Paragraph(
        f"For the {n} e-mails explained in detail, the decisions lean {lean}. The typical (median) "
        f"share of a decision credited to the text is: {estimator_text}. {overall_agree} E-mail by e-mail, the "
        f"three methods agree on the leading source for {agree} of {n} e-mails.")


def _words_paragraph(top: dict[str, list[dict[str, Any]]]) -> Paragraph:
    if not (top["spam"] or top["ham"]):
        return Paragraph("No word pushed in the same direction in enough explained e-mails to be listed; "
                         "the per-e-mail sections show each e-mail's own strongest words.")

    def strongest(cls: str) -> str:
        # Punctuation can carry attribution too (the tables list it), but a reader asks for words.
        return ", ".join(f"“{w['word']}”" for w in [w for w in top[cls] if is_word(w["word"])][:5]) or "none"

    return Paragraph(f"Words that most often push toward spam: {strongest('spam')}. "
                     f"Words that most often push toward ham: {strongest('ham')} (details in the word tables).")


def _key_facts(model: dict[str, Any], dataset: dict[str, Any], metrics: dict[str, Any] | None, explained: int,
               leans_on: str) -> Facts:
    facts = [("Model", str(model["path"])), ("Checkpoint sha256", str(model["sha256"])[:16] + "…"),
             ("E-mails", str(dataset["n_selected"])), ("Explained in detail", str(explained))]
    if metrics:
        facts += [("Accuracy", pct(metrics["accuracy"])),
                  ("ROC AUC", "n/a" if metrics.get("roc_auc") is None else f"{metrics['roc_auc']:.3f}")]
    facts.append(("Leans on", leans_on))
    return Facts(facts, name="key-facts")
