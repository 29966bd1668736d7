"""The summary: what the model is, how often it is right, text or picture with its interval, words, warnings.

Every sentence here follows from numbers shown further down the report, by the rules of
:mod:`reportgen.claims`: the text-or-picture verdict rests on the whole-set Shapley split with its
95 % interval; Integrated Gradients is only compared with it; attention never enters it. No local
path appears here (the reproducibility appendix has them).
"""

from __future__ import annotations

from typing import Any

from reportgen.report import wording
from reportgen.report.document import Block, Facts, Paragraph, Section, TextRun
from reportgen.report.sections.common import UNDETERMINED_LANGUAGE, file_name, pct, word_languages
from reportgen.report.sections.trust import summary_sentence


def summary_section(results: dict[str, Any]) -> Section:
    """The summary section.

    Args:
        results: a validated results.json dict.

    Returns:
        The section (id ``summary``).
    """
    model, dataset, metrics = results["model"], results["dataset"], results["metrics"]
    samples = results["samples"]
    aggregate = results["aggregate"]
    blocks: list[Block] = [_lead(model), Paragraph(_data_sentence(dataset, metrics))]
    blocks += _verdict_paragraphs(results)
    if samples:
        blocks.append(_agreement_paragraph(aggregate["ig_agreement"]))
        words = _words_paragraph(aggregate["top_words"], word_languages(samples))
        if words is not None:
            blocks.append(words)
        blocks.append(Paragraph(f"Can these explanations be trusted? {summary_sentence(results)}"))
    else:
        blocks.append(Paragraph("No e-mail was explained in detail, so this report has the text/picture split and "
                                "accuracy but no explanation of which words or parts of the picture drove them."))
    blocks.append(_key_facts(model, dataset, metrics, len(samples), aggregate["verdict"]))
    warnings = list(aggregate.get("warnings", []))
    if warnings:
        blocks.append(Paragraph("Warnings", kind="heading"))
        blocks.extend(Paragraph(w, kind="warning") for w in warnings)
    return Section(id="summary", title="Summary", kind="summary", blocks=blocks)


def _lead(model: dict[str, Any]) -> Paragraph:
    params = model.get("parameters")
    size = ("" if not params else f" with {params / 1e6:.0f} million parameters" if params >= 1e6
            else f" with {params:,} parameters")
    return Paragraph(
        f"This report explains how the e-mail spam detector {file_name(model['path'])}{size} (sha256 "
        f"{str(model['sha256'])[:12]}…) decides whether an e-mail is spam or ham (wanted mail). The model reads both "
        f"the text of an e-mail and a picture of it.", kind="lead")


def _data_sentence(dataset: dict[str, Any], metrics: dict[str, Any] | None) -> str:
    skipped = len(dataset.get("skipped", []))
    skipped_text = (f"; {wording.count(skipped, 'row')} could not be used and {'was' if skipped == 1 else 'were'} "
                    "skipped" if skipped else "")
    sentence = (f"It was run on {wording.count(dataset['n_selected'], 'e-mail')} from {file_name(dataset['csv'])} "
                f"(selection: {dataset['selection']}){skipped_text}.")
    if not metrics:
        return sentence + " The data has no labels, so accuracy cannot be measured."
    cm = metrics["confusion_matrix"]
    false_alarms, missed = cm[0][1], cm[1][0]
    if not false_alarms + missed:
        return sentence + f" It labelled {pct(metrics['accuracy'])} of them correctly (no mistakes)."
    return sentence + (f" It labelled {pct(metrics['accuracy'])} of them correctly "
                       f"({wording.count(false_alarms + missed, 'mistake')}: "
                       f"{wording.count(false_alarms, 'wanted e-mail')} flagged as spam, "
                       f"{wording.count(missed, 'spam e-mail')} let through).")


def _verdict_paragraphs(results: dict[str, Any]) -> list[Block]:
    """The verdict over every predicted e-mail with its interval, how it is measured, and by true class."""
    aggregate = results["aggregate"]
    image_baseline = (results["methods"].get("integrated_gradients") or {}).get("image_baseline")
    blocks: list[Block] = [
        Paragraph(f"Text or picture? {aggregate['verdict']['headline']}", kind="lead"),
        Paragraph("How it is measured: for every e-mail, the change of its spam score from "
                  f"{wording.empty_email(image_baseline)} (no words) is split exactly between text and picture "
                  "(Shapley values); only pushes toward the decision count. The table “Text or picture, by group” "
                  "and the methods appendix give the numbers and rules."),
    ]
    parts = []
    for name, group in aggregate["groups"]["true_class"].items():
        if group["n"]:
            parts.append(f"{name} e-mails: {wording.SOURCE_NAMES[group['leading']]}, text share "
                         f"{wording.interval(group)}" + (" (uncertain)" if group["hedged"] else ""))
        elif group["n_decided_by_default"]:
            parts.append(f"{name} e-mails: all {group['n_decided_by_default']} decided by default (the empty e-mail "
                         f"already scores their class; nothing in them moved it enough to count)")
    if parts:
        blocks.append(Paragraph("By true class — " + "; ".join(parts) + "."))
    return blocks


def _agreement_paragraph(agreement: dict[str, Any]) -> Paragraph:
    text = (f"Integrated Gradients, a second way to split each decision, names the same leading source as the "
            f"Shapley split for {agreement['n_agree']} of the {agreement['n_compared']} explained e-mails it could be "
            f"compared on")
    not_converged = agreement["n_not_converged"]
    text += f" ({not_converged} not compared: their attributions did not add up)." if not_converged else "."
    if agreement["rows_disagree"]:
        rows = agreement["rows_disagree"]
        where = f"row {rows[0]}" if len(rows) == 1 else "rows " + ", ".join(map(str, rows))
        text += (f" Where they differ ({where}) the verdict follows Shapley, which splits evidence both parts carry "
                 "evenly.")
    return Paragraph(text)


def _words_paragraph(top: dict[str, list[dict[str, Any]]], languages: dict[str, str]) -> Paragraph | None:
    def strongest(cls: str) -> list[TextRun]:
        # Punctuation and numbers stay in the tables (marked) but never head a sentence.
        words = [str(w["word"]) for w in top[cls] if w.get("kind", "word") == "word"][:5]
        if not words:
            return [TextRun("none")]
        runs: list[TextRun] = []
        for word in words:  # “word”, “word” — each word in its e-mails' language, the quotes in English
            runs += [TextRun(", “" if runs else "“"), TextRun(word, languages.get(word, UNDETERMINED_LANGUAGE)),
                     TextRun("”")]
        return runs

    if not any(w.get("kind", "word") == "word" for cls in ("spam", "ham") for w in top[cls]):
        return Paragraph("No word pushed in the same direction in enough explained e-mails to be listed; "
                         "the per-e-mail sections show each e-mail's own strongest words.")
    return Paragraph.from_runs([TextRun("Words that most often push toward spam: "), *strongest("spam"),
                                TextRun(". Words that most often push toward ham: "), *strongest("ham"),
                                TextRun(" (numbers in the word tables).")])


def _key_facts(model: dict[str, Any], dataset: dict[str, Any], metrics: dict[str, Any] | None, explained: int,
               verdict: dict[str, Any]) -> Facts:
    facts = [("Model", file_name(model["path"])), ("Checkpoint sha256", str(model["sha256"])[:16] + "…"),
             ("E-mails", str(dataset["n_selected"])), ("Explained in detail", str(explained))]
    if metrics:
        facts += [("Accuracy", pct(metrics["accuracy"])),
                  ("ROC AUC", "n/a" if metrics.get("roc_auc") is None else f"{metrics['roc_auc']:.3f}")]
    facts.append(("Leading source", wording.SOURCE_LABELS[verdict["leading"]]
                  + (" (uncertain)" if verdict["hedged"] else "")))
    facts.append(("Text share", wording.interval(verdict)))
    facts.append(("Decided by default", f"{verdict['n_decided_by_default']} of "
                                        f"{verdict['n'] + verdict['n_decided_by_default']}"))
    return Facts(facts, name="key-facts")
