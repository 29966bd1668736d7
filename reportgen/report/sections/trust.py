""""Can these explanations be trusted?": faithfulness checks, the occlusion second opinion, the sanity check.

Read from results.json alone: ``samples[i].faithfulness`` / ``samples[i].occlusion`` and
``aggregate.faithfulness`` / ``aggregate.sanity`` (see :mod:`reportgen.explain.faithfulness`,
:mod:`reportgen.explain.occlusion` and :mod:`reportgen.analysis.sanity`, whose numbers every sentence
here quotes). Provides the summary's sentence, the section, one block for each e-mail's card and the
methods appendix's paragraphs and figure.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from reportgen.report import wording
from reportgen.report.document import Block, Paragraph, Section, Table
from reportgen.report.figures.trust import mean_deletion_figure, randomisation_figure, sample_curves_figure
from reportgen.report.sections.common import chart
from reportgen.report.wording import signed

_UNITS = {"text": "words", "image": "picture patches"}
_SHORT = {"text": "words", "image": "patches"}
_ADJECTIVE = {"text": "word", "image": "picture"}
#: The correlation every checked e-mail must end below (results.json states it in the rule; this is
#: only the line drawn in the figure and is read back from the results when they say).
_DEFAULT_PASS_LIMIT = 0.5
_VERDICT_WORDS = {True: "passed", False: "failed", None: "not compared"}
#: Below this size a rank correlation is "changed completely" in words (the pass limit itself is larger).
_COMPLETE = 0.2


def _verdict_counts(modality_summary: dict[str, Any] | None) -> tuple[int, int, int]:
    """(passed, failed, without verdict) of one modality's ``aggregate.faithfulness`` entry."""
    if not modality_summary:
        return 0, 0, 0
    passed, failed = int(modality_summary["passed"]), int(modality_summary["failed"])
    return passed, failed, int(modality_summary["n"]) - passed - failed


def _modality_clause(modality: str, entry: dict[str, Any] | None, fractions: list[float], fraction: float) -> str:
    """One clause of the summary sentence for words or picture patches."""
    units = _UNITS[modality]
    if not entry:
        return f"no e-mail had {units} to remove"
    passed, failed, silent = _verdict_counts(entry)
    share = f"{100 * fraction:g} %"
    at = fractions.index(fraction)
    ranked, random = float(entry["deletion"][at]), float(entry["random_deletion"][at])
    if entry.get("ratio") is not None and entry["ratio"] >= 1:
        effect = (f"removing the {share} of {units} the explanation ranks highest lowers the model's confidence in "
                  f"its decision {entry['ratio']:.1f}× as much as removing random {units} ({ranked:.2f} vs "
                  f"{random:.2f} log-odds on average)")
    else:
        effect = (f"removing the {share} of {units} the explanation ranks highest {_moves(ranked)} the model's "
                  f"confidence in its decision by {abs(ranked):.2f} log-odds on average, removing random {units} "
                  f"{_moves(random, ranked)}by {abs(random):.2f}")
    judged = passed + failed
    if judged == 0:
        tally = f"no e-mail gives a verdict (removing {units} at random hardly moves any decision)"
    else:
        tally = f"the check passes for {passed} of {wording.count(judged, 'e-mail')}"
        if silent:
            tally += f" ({silent} more give no verdict: removing their {units} hardly moves the decision)"
        against = int(entry.get("against", 0))
        if against:
            tally += (f"; for {against} of the {judged} the explanation found only evidence against the decision in "
                      f"the {units}, and the check tested that instead")
        if failed >= passed:
            tally += f", so the {units} ranking is not shown to be faithful"
    return f"{effect}; {tally}"


def _verdicts(sanity: dict[str, Any]) -> dict[str, bool | None]:
    """Per modality verdicts; results written before they were stored per modality count as one verdict for both."""
    if "verdicts" in sanity:
        return {m: sanity["verdicts"].get(m) for m in ("text", "image")}
    return {m: sanity["passed"] for m in ("text", "image")}


#: What a card says on an attribution map when the model-randomisation check failed for its modality.
_MAP_CAVEATS = {
    "text": "Read with care: the model-randomisation check failed for words — these word colours keep much of their "
            "pattern on a model with random weights, so they partly show the words themselves rather than what the "
            "model learnt.",
    "image": "Read with care: the model-randomisation check failed for pictures — this map keeps much of its pattern "
             "on a model with random weights, so it partly shows where the picture is not blank rather than what "
             "the model learnt.",
    # The check re-ran Integrated Gradients, not occlusion: the occlusion map's caveat says only that.
    "occlusion": "Read with care: the model-randomisation check failed for pictures (it was run on the Integrated "
                 "Gradients map above, not on this one), so agreeing with that map is no evidence of what the model "
                 "learnt.",
}


def map_caveats(results: dict[str, Any]) -> dict[str, str]:
    """The caveat each e-mail card puts on its word and picture maps, from ``aggregate.sanity``'s verdicts.

    Returns:
        ``{"text": …}`` when the words failed the model-randomisation check, ``{"image": …, "occlusion": …}``
        when the picture patches did (all three when both did); empty when the check passed, compared nothing
        or was not run.
    """
    sanity = results["aggregate"].get("sanity")
    if sanity is None:
        return {}
    failed = {m for m, verdict in _verdicts(sanity).items() if verdict is False}
    return {key: text for key, text in _MAP_CAVEATS.items() if ("image" if key == "occlusion" else key) in failed}


def _largest(sanity: dict[str, Any], modality: str) -> float | None:
    """The last stage's correlation of the largest size for one modality (signed, as results.json has it)."""
    values = [v for v in sanity["randomisation"][-1]["per_sample"][modality] if v is not None] \
        if sanity["randomisation"] else []
    return max(values, key=abs) if values else None


def _randomised_clause(sanity: dict[str, Any] | None) -> str:
    """What the model-randomisation check showed, per modality, with its numbers (no more than they show)."""
    if sanity is None:
        return "the model-randomisation check was not run"
    verdicts = _verdicts(sanity)
    if all(v is None for v in verdicts.values()):
        return "the model-randomisation check could not compare any explanation"
    changed = [m for m, v in verdicts.items() if v is True]
    kept = [m for m, v in verdicts.items() if v is False]
    parts = []
    if changed:
        size = max(abs(_largest(sanity, m) or 0.0) for m in changed)
        names = "the explanations" if len(changed) == 2 else f"the {_ADJECTIVE[changed[0]]} explanations"
        how = "completely" if size < _COMPLETE else "clearly"
        parts.append(f"{names} change {how} when the model's weights are randomised (rank correlation with the "
                     f"original {size:.2f} at most in size), as they should")
    if kept:
        worst = max((_largest(sanity, m) for m in kept), key=lambda v: abs(v or 0.0)) or 0.0
        names = "the explanations" if len(kept) == 2 else f"the {_ADJECTIVE[kept[0]]} explanations"
        flipped = ", only with its sign flipped," if worst < 0 else ""
        parts.append(f"{'but ' if changed else ''}{names} keep their pattern{flipped} when the model's weights are "
                     f"randomised (rank correlation {signed(worst, 2)} with the original), so they partly show the "
                     "input itself rather than what the model learnt")
    return ", ".join(parts)


def _stage_result(sanity: dict[str, Any], modality: str) -> str:
    """E.g. ``the words end within 0.02 of 0 (passed)``: the last stage's largest correlation and the verdict."""
    verdict = _verdicts(sanity)[modality]
    largest = _largest(sanity, modality)
    if largest is None:
        return f"the {_UNITS[modality]} were not compared"
    if verdict:
        return f"the {_UNITS[modality]} end within {abs(largest):.2f} of 0 (passed)"
    return f"the {_UNITS[modality]} end as far out as {signed(largest, 2)} ({_VERDICT_WORDS[verdict]})"


def _sanity_sentence(sanity: dict[str, Any] | None) -> str:
    if sanity is None:
        return "The model-randomisation check was not run (--sanity-samples 0)."
    n = sanity.get("n_samples")
    checked = "the e-mails" if n is None else wording.count(n, "e-mail")
    clause = _randomised_clause(sanity)
    if clause.startswith("the model-randomisation check could not"):
        return ("The model-randomisation check could not compare any explanation (the checked e-mails' attributions "
                "were all near zero).")
    return f"Model randomisation, checked on {checked}: {clause}."


def _short_clause(modality: str, entry: dict[str, Any] | None, at: int, fraction: float, first: bool) -> str:
    """The summary's clause for words or picture patches: the effect and the tally, nothing more."""
    units = _UNITS[modality]
    passed, failed, _ = _verdict_counts(entry)
    if not entry or passed + failed == 0:
        return f"removing {units} hardly moves any decision, so their ranking could not be checked"
    tally = f"{'not shown to be faithful: ' if failed >= passed else ''}the check passes for {passed} of " \
            f"{passed + failed} e-mails"
    ratio = entry.get("ratio")
    if ratio is not None and ratio >= 1:
        if first:
            return (f"removing the {100 * fraction:g} % of {units} the explanations rank highest lowers the model's "
                    f"confidence {ratio:.1f}× as much as removing random {units} ({tally})")
        return f"for {units} the factor is {ratio:.1f}× ({tally})"
    ranked, random = float(entry["deletion"][at]), float(entry["random_deletion"][at])
    return (f"removing the top {100 * fraction:g} % of {units} {_moves(ranked)} the model's confidence by "
            f"{abs(ranked):.2f} log-odds on average, removing random {units} {_moves(random, ranked)}by "
            f"{abs(random):.2f} ({tally})")


def _moves(drop: float, other: float | None = None) -> str:
    """The verb for a deletion value (a drop in the predicted class's log-odds; negative = it rose).

    With ``other``, the verb is left out (empty) when it is the same as ``other``'s, so the second half of a
    sentence reads "removing random words by 0.01" after "lowers"; otherwise it is spelt out again.
    """
    verb = "lowers" if drop >= 0 else "raises"
    if other is None:
        return verb
    return "" if verb == _moves(other) else f"{verb} it "


def summary_sentence(results: dict[str, Any]) -> str | None:
    """The summary's one-sentence answer to "can these explanations be trusted?" (``None``: nothing explained)."""
    if not results["samples"]:
        return None
    aggregate = results["aggregate"]
    summary, sanity = aggregate.get("faithfulness"), aggregate.get("sanity")
    randomised = _randomised_clause(sanity)
    if summary is None:
        return f"The explanations were not checked for faithfulness (--no-faithfulness); {randomised}."
    fraction = float(summary.get("headline_fraction", 0.10))
    at = list(summary["fractions"]).index(fraction)
    words = _short_clause("text", summary.get("text"), at, fraction, first=True)
    patches = _short_clause("image", summary.get("image"), at, fraction, first=False)
    return f"{words[0].upper()}{words[1:]}; {patches}; {randomised}."


def trust_sentences(results: dict[str, Any]) -> list[str]:
    """The trust section's detailed answer, in plain words with the results' numbers.

    Returns:
        Sentences (empty when no e-mail was explained).
    """
    if not results["samples"]:
        return []
    aggregate = results["aggregate"]
    summary = aggregate.get("faithfulness")
    if summary is None:
        first = "These explanations were not checked for faithfulness (--no-faithfulness)."
    else:
        fraction = float(summary.get("headline_fraction", 0.10))
        clauses = [_modality_clause(m, summary.get(m), list(summary["fractions"]), fraction)
                   for m in ("text", "image")]
        first = f"Words: {clauses[0]}. Picture: {clauses[1]}."
    return [first, _sanity_sentence(aggregate.get("sanity"))]


def _verdict_text(curves: dict[str, Any] | None) -> str:
    if not curves:
        return "none"
    passed = curves["check"]["passed"]
    verdict = "no verdict" if passed is None else "passed" if passed else "failed"
    return f"{verdict} (against)" if _against(curves) and passed is not None else verdict


def _against(curves: dict[str, Any]) -> bool:
    """Whether the check tested the explanation's evidence against the decision (files before it: never)."""
    return curves["check"].get("direction", "for") == "against"


def _agreement_cells(occlusion: dict[str, Any] | None, modality: str) -> list[Any]:
    entry = (occlusion or {}).get("agreement", {}).get(modality)
    if not entry:
        return ["n/a", "n/a"]
    return ["n/a" if entry["spearman"] is None else float(entry["spearman"]),
            "n/a" if entry["top5_overlap"] is None else float(entry["top5_overlap"])]


def _cell(value: float) -> float:
    """A log-odds change for a 2-decimal cell: float noise like -1e-7 shows as 0.00, not -0.00."""
    return 0.0 if abs(float(value)) < 0.005 else float(value)


def _per_sample_table(samples: list[dict[str, Any]]) -> Table:
    rows = []
    for sample in samples:
        faithfulness = sample.get("faithfulness") or {}
        row: list[Any] = [sample["row"]]
        for modality in ("text", "image"):
            curves = faithfulness.get(modality)
            row += ([_cell(curves["check"]["deletion"]), _cell(curves["check"]["random_deletion"])] if curves
                    else ["n/a", "n/a"])
            row.append(_verdict_text(curves))
        row += _agreement_cells(sample.get("occlusion"), "text") + _agreement_cells(sample.get("occlusion"), "image")
        rows.append(row)
    return Table(
        name="trust_per_sample",
        caption="Per e-mail: the drop of the predicted class's log-odds when the top 10 % of the words (patches) "
                "are removed vs 10 % at random, the check's verdict, and how well occlusion agrees with Integrated "
                "Gradients (Spearman rank correlation, share of the top five in common). Good: the top-10 % drop "
                "clearly above the random one; correlations and overlaps near 1. “(against)”: the explanation "
                "found nothing in that part pushing toward the decision, only against it, so the top 10 % toward "
                "the other class were removed and the log-odds should rise instead (good: a negative drop below "
                "the random one).",
        columns=["Row", "Words: top 10 %", "random 10 %", "verdict", "Patches: top 10 %", "random 10 %", "verdict",
                 "Words ρ", "top-5", "Patches ρ", "top-5"],
        rows=rows, decimals=2, links=[f"#sample-{i + 1}" for i in range(len(samples))])


def _agreement_paragraph(samples: list[dict[str, Any]]) -> Paragraph | None:
    parts = []
    for modality in ("text", "image"):
        values = [s["occlusion"]["agreement"][modality]["spearman"] for s in samples
                  if s.get("occlusion") and s["occlusion"]["agreement"].get(modality)
                  and s["occlusion"]["agreement"][modality]["spearman"] is not None]
        if values:
            parts.append(f"for the {_UNITS[modality]} the median Spearman correlation over "
                         f"{wording.count(len(values), 'e-mail')} is {signed(median(values), 2)}")
    if not parts:
        return None
    return Paragraph("Second opinion: occlusion removes one word or patch at a time and measures the change of the "
                     "spam score directly. Its ranking agrees with Integrated Gradients as follows: "
                     + "; ".join(parts) + " (1 = the same order, 0 = unrelated, −1 = reversed). Where a modality "
                     "barely moves a decision, both rankings are mostly noise and disagree; where it matters and they "
                     "still disagree, the model's response to one unit depends on the others.")


def trust_section(results: dict[str, Any], *, keep_figures: bool) -> Section | None:
    """The section (id ``trust``), or ``None`` when results.json holds no trust check at all."""
    samples = results["samples"]
    aggregate = results["aggregate"]
    summary = aggregate.get("faithfulness")
    has_occlusion = any(s.get("occlusion") for s in samples)
    if not samples or (summary is None and aggregate.get("sanity") is None and not has_occlusion):
        return None
    blocks: list[Block] = [Paragraph(" ".join(trust_sentences(results)), kind="lead")]
    if summary is not None:
        blocks.append(chart(
            "trust_deletion",
            "Mean drop of the predicted class's log-odds as more of the top-ranked words (left) or picture patches "
            "(right) are removed, against removing the same number at random (dashed, mean of "
            f"{results['methods'].get('faithfulness', {}).get('random_draws', 10)} random orders). Good: the solid "
            "line well above the dashed one. Both near zero: removing up to 40 % does not move these decisions.",
            "Line charts of mean deletion curves for words and picture patches, top-ranked versus random.",
            mean_deletion_figure(summary), keep=keep_figures))
    if summary is not None or has_occlusion:
        blocks.append(_per_sample_table(samples))
    agreement = _agreement_paragraph(samples)
    if agreement is not None:
        blocks.append(agreement)
    if aggregate.get("sanity") is not None:
        blocks.append(Paragraph("The model-randomisation chart and its rule are in the methods appendix."))
    return Section(id="trust", title="Can these explanations be trusted?", kind="aggregate", blocks=blocks,
                   intro="Faithful explanations name what the model actually uses: removing what they rank highest "
                         "should change the decision more than removing random parts, and they should change when "
                         "the model's weights are randomised.")


def sample_blocks(context: Any) -> list[Block]:
    """The faithfulness block of one e-mail's card (``context``: the samples section's ``SampleInput``)."""
    faithfulness = context.sample.get("faithfulness")
    if not faithfulness:
        return []
    parts = []
    for modality in ("text", "image"):
        curves = faithfulness.get(modality)
        if curves and _against(curves):
            check = curves["check"]
            other = "ham" if faithfulness["predicted"] == "spam" else "spam"
            parts.append(f"the {_SHORT[modality]} hold no evidence for {faithfulness['predicted']}, so the check "
                         f"removed the top 10 % toward {other}: the {faithfulness['predicted']} log-odds change by "
                         f"{_cell(-check['deletion']):+.2f}, by {_cell(-check['random_deletion']):+.2f} for 10 % at "
                         f"random (good: a clearly larger rise; {_verdict_text(curves).split(' (')[0]})")
        elif curves:
            check = curves["check"]
            parts.append(f"top 10 % of the {_SHORT[modality]} {check['deletion']:+.2f} vs random "
                         f"{check['random_deletion']:+.2f} ({_verdict_text(curves)})")
    return [context.raster(
        "faithfulness",
        f"Change of the {faithfulness['predicted']} log-odds as the top-ranked words (left) or patches (right) are "
        f"removed (top row: how far the decision drops) or are the only ones kept (bottom row: how far it rises "
        f"from an input without any), against as many random ones (grey, dashed). Good: the coloured line above "
        f"the grey one in both rows. Here: {'; '.join(parts) or 'nothing to remove'}.",
        f"Deletion and insertion curves of {context.about}: {'; '.join(parts) or 'nothing to remove'}.",
        sample_curves_figure(faithfulness))]


def methods_blocks(results: dict[str, Any], *, keep_figures: bool) -> list[Block]:
    """The methods appendix's paragraphs on the checks, and the randomisation figure."""
    methods = results["methods"]
    blocks: list[Block] = []
    faithfulness = methods.get("faithfulness")
    if faithfulness:
        blocks.append(Paragraph(
            "Faithfulness (deletion and insertion, after DeYoung et al., 2020, and AOPC, Samek et al., 2017): per "
            "e-mail and separately for words and picture patches, the units are ranked by their Integrated "
            "Gradients score toward the predicted class; the top "
            f"{', '.join(f'{100 * f:g} %' for f in faithfulness['fractions'])} are removed (deletion) or are the "
            f"only ones kept (insertion), and the change of the predicted class's log-odds is compared with the "
            f"same numbers of units in {faithfulness['random_draws']} random orders. Words are removed from the "
            f"text, which is tokenised again; patches are filled with the picture baseline; blank patches "
            f"({faithfulness['blank_patch']}) are not counted. Verdict: {faithfulness['check']}."))
    sanity = results["aggregate"].get("sanity")
    if methods.get("sanity") and sanity is not None:
        described = methods["sanity"]
        stages = [stage["stage"] for stage in sanity["randomisation"]]
        cost = f"; {described['cost']}" if described.get("cost") else ""
        blocks.append(Paragraph(
            f"Model-randomisation sanity check ({described['reference']}): on a copy of the model, "
            f"{wording.count(len(stages), 'cumulative stage')} randomise the weights from the top down ("
            f"{', '.join(stages)}); the stages are {described['stage_modules']}. Weights: "
            f"{described['randomisation']}; {described['explanation']}{cost}. Rule: {sanity['rule']}. Result: "
            + "; ".join(f"{_UNITS[m]} {_VERDICT_WORDS[v]}" for m, v in _verdicts(sanity).items()) + "."))
        limit = float(methods["sanity"].get("pass_limit", _DEFAULT_PASS_LIMIT))
        blocks.append(chart(
            "sanity_randomisation",
            "Spearman correlation between each checked e-mail's original explanation and the one on a model "
            "whose weights are randomised from the top down (dots: e-mails; lines: means). Good: it falls from 1 "
            f"(unchanged) toward 0 and ends inside the band ±{limit:g} at the last stage"
            + (f" ({sanity['randomisation'][-1]['stage']})" if sanity["randomisation"] else "")
            + "; an explanation that stays near 1 — or "
            "near −1, the same pattern with its sign flipped — does not depend on what the model learnt. Here: "
            + "; ".join(_stage_result(sanity, m) for m in ("text", "image")) + ".",
            "Line chart of rank correlation between original and randomised explanations per randomisation stage.",
            randomisation_figure(sanity, limit), keep=keep_figures))
    return blocks
