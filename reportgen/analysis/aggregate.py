"""Summaries over the explained samples: modality shares, a verdict, top words, warnings.

Works on plain results data (the per-sample dicts of results.json), never on the model, so it is
tested without torch and could be re-run from a results.json alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from statistics import mean, median
from typing import Any

#: The three modality estimators, in the order the report shows them.
ESTIMATORS = ("ig", "shapley", "attention")
#: The estimator and statistic the verdict is based on (IG is the main attribution of the report).
VERDICT_ESTIMATOR = "ig"
#: Verdict thresholds on the median text share.
TEXT_DOMINANT = 0.6
IMAGE_DOMINANT = 0.4
#: A sample whose |IG delta| exceeds this fraction of |f(input) - f(baseline)| is flagged ...
IG_RELATIVE_DELTA_LIMIT = 0.05
#: ... unless |delta| itself is below this many log-odds units: when the input scores like its
#: baseline (typical for clear ham against a blank baseline) the gap is ~0 and any ratio explodes,
#: although attributions that are off by 0.01 log-odds change no conclusion of the report.
IG_ABSOLUTE_DELTA_FLOOR = 0.01
#: Fewer explained samples than this gets a warning that the aggregates are only indicative.
FEW_SAMPLES = 10
#: Longest top-word list per class kept in results.json.
TOP_WORDS_LIMIT = 30
OUTCOMES = ("TP", "FP", "TN", "FN")
CLASSES = (("spam", 1), ("ham", 0))


def ig_relative_delta(delta: float, f_input: float, f_baseline: float) -> float:
    """|delta| / |f(input) - f(baseline)|; the gap is floored at 1e-12 so the result stays finite JSON."""
    return abs(float(delta)) / max(abs(float(f_input) - float(f_baseline)), 1e-12)


def ig_flagged(delta: float, f_input: float, f_baseline: float) -> bool:
    """True when the IG completeness gap is too large to trust the attributions (see the limits above)."""
    return abs(float(delta)) > max(IG_RELATIVE_DELTA_LIMIT * abs(float(f_input) - float(f_baseline)),
                                   IG_ABSOLUTE_DELTA_FLOOR)


def text_share(estimate: dict[str, Any]) -> float | None:
    """Share of the text in one estimator's split: ``|text| / (|text| + |image|)``.

    Signed IG/Shapley contributions can cancel, so the share uses magnitudes: it says how much of
    the decision's evidence came from the text, whichever way it pushed. ``None`` when both are 0.
    """
    text, image = abs(float(estimate["text"])), abs(float(estimate["image"]))
    total = text + image
    return text / total if total > 0 else None


def outcome(label: int | None, prediction: int) -> str | None:
    """TP/FP/TN/FN with spam as the positive class; ``None`` without a label."""
    if label is None:
        return None
    return {(1, 1): "TP", (0, 1): "FP", (0, 0): "TN", (1, 0): "FN"}[(int(label), int(prediction))]


def verdict_label(share: float | None) -> str:
    """``text-dominant`` (median text share >= 0.6), ``image-dominant`` (<= 0.4) or ``balanced``."""
    if share is None:
        return "undetermined"
    if share >= TEXT_DOMINANT:
        return "text-dominant"
    if share <= IMAGE_DOMINANT:
        return "image-dominant"
    return "balanced"


def _group(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and median text share of each estimator over ``samples`` (``None`` when empty)."""
    group: dict[str, Any] = {"n": len(samples)}
    for name in ESTIMATORS:
        shares = [s for s in (text_share(x["modality"][name]) for x in samples) if s is not None]
        group[f"{name}_text_share"] = mean(shares) if shares else None
        group[f"{name}_text_share_median"] = median(shares) if shares else None
    return group


def modality_summary(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Modality shares overall, by true class and by outcome, and the verdict.

    Returns:
        ``{"overall", "by_class": {spam, ham}, "by_outcome": {TP, FP, TN, FN}, "verdict"}``; each
        group holds ``n`` and, per estimator, ``<name>_text_share`` (mean) and
        ``<name>_text_share_median``. The verdict applies the thresholds to the median IG text
        share over all samples and says whether the other estimators reach the same label.
    """
    overall = _group(samples)
    by_class = {name: _group([s for s in samples if s.get("label") == value]) for name, value in CLASSES}
    by_outcome = {o: _group([s for s in samples if outcome(s.get("label"), s["prediction"]) == o]) for o in OUTCOMES}
    labels = {name: verdict_label(overall[f"{name}_text_share_median"]) for name in ESTIMATORS}
    share = overall[f"{VERDICT_ESTIMATOR}_text_share_median"]
    label = labels[VERDICT_ESTIMATOR]
    agree = len(set(labels.values())) == 1
    if share is None:
        text = "No verdict: no explained sample has a non-zero modality attribution."
    else:
        others = "; ".join(
            f"{_NAMES[name]} {labels[name]} ({_fmt(overall[f'{name}_text_share_median'])})"
            for name in ESTIMATORS if name != VERDICT_ESTIMATOR
        )
        text = (
            f"{label.capitalize()}: the median text share of the Integrated Gradients split is {share:.2f} over "
            f"{overall['n']} explained sample(s) (text-dominant at >= {TEXT_DOMINANT:.2f}, image-dominant at "
            f"<= {IMAGE_DOMINANT:.2f}). Other estimators: {others}; "
            + ("all three agree." if agree else "the estimators disagree, read the verdict with care.")
        )
    return {
        "overall": overall,
        "by_class": by_class,
        "by_outcome": by_outcome,
        "verdict": {
            "label": label,
            "text": text,
            "text_share": share,
            "estimator": VERDICT_ESTIMATOR,
            "statistic": "median",
            "thresholds": {"text_dominant": TEXT_DOMINANT, "image_dominant": IMAGE_DOMINANT},
            "by_estimator": labels,
            "agree": agree,
        },
    }


_NAMES = {"ig": "Integrated Gradients", "shapley": "Shapley", "attention": "fusion attention"}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def top_words(samples: Sequence[dict[str, Any]], *, top_k: int = 10, min_count: int = 2,
              limit: int = TOP_WORDS_LIMIT) -> dict[str, list[dict[str, Any]]]:
    """Words that push toward each class in many explained e-mails.

    For every sample, its ``top_k`` words by ``|score|`` are taken; those with a positive score
    push toward spam, those with a negative score toward ham (zero: neither). A word's ``count`` is
    the number of samples in which it is such a top word for the class (a word repeated inside one
    e-mail counts once, its scores there summed), and ``mean_score`` the mean of those per-sample
    signed scores. Words with ``count < min_count`` are dropped; the rest are ranked by count, then
    by ``|mean_score|``, then alphabetically, and cut at ``limit``.

    Returns:
        ``{"spam": [...], "ham": [...]}`` of ``{"word", "count", "mean_score"}``.
    """
    pools: dict[str, dict[str, list[float]]] = {"spam": {}, "ham": {}}
    for sample in samples:
        ranked = sorted(enumerate(sample["words"]), key=lambda iw: (-abs(float(iw[1]["score"])), iw[0]))[:top_k]
        per_sample: dict[tuple[str, str], float] = {}
        for _, word in ranked:
            score = float(word["score"])
            if score != 0:
                key = ("spam" if score > 0 else "ham", word["text"])
                per_sample[key] = per_sample.get(key, 0.0) + score
        for (name, text), score in per_sample.items():
            pools[name].setdefault(text, []).append(score)
    result: dict[str, list[dict[str, Any]]] = {}
    for name, pool in pools.items():
        rows = [{"word": w, "count": len(v), "mean_score": mean(v)} for w, v in pool.items() if len(v) >= min_count]
        rows.sort(key=lambda r: (-r["count"], -abs(r["mean_score"]), r["word"]))
        result[name] = rows[:limit]
    return result


def aggregate_samples(samples: Sequence[dict[str, Any]], *, top_k: int = 10, min_count: int = 2,
                      skipped: Iterable[dict[str, Any]] = (), extra_warnings: Iterable[str] = ()) -> dict[str, Any]:
    """The results.json ``aggregate`` block.

    Args:
        samples: explained samples (results.json ``samples`` items).
        top_k: words per sample considered for the top-word lists.
        min_count: minimum number of samples in which a top word occurs.
        skipped: the dataset's skipped rows (``{row, pic, reason}``), reported as a warning.
        extra_warnings: warnings from earlier stages (e.g. sample selection), kept first.

    Returns:
        ``{"modality", "top_words", "warnings"}`` as described in the results schema.
    """
    warnings = list(extra_warnings)
    skipped = list(skipped)
    if skipped:
        rows = ", ".join(str(s["row"]) for s in skipped[:10]) + (" …" if len(skipped) > 10 else "")
        warnings.append(f"{len(skipped)} row(s) skipped as invalid and left out of every result: {rows}")
    flagged = []
    for sample in samples:
        ig = sample["integrated_gradients"]
        if ig_flagged(ig["delta"], ig["f_input"], ig["f_baseline"]):
            relative = ig_relative_delta(ig["delta"], ig["f_input"], ig["f_baseline"])
            flagged.append(f"{sample['row']} ({relative:.1%})")
    if flagged:
        warnings.append(
            f"Integrated Gradients did not converge within {IG_RELATIVE_DELTA_LIMIT:.0%} of f(input) - f(baseline) "
            f"(and {IG_ABSOLUTE_DELTA_FLOOR} log-odds) for row(s) {', '.join(flagged)}; raise --ig-steps"
        )
    if len(samples) < FEW_SAMPLES:
        warnings.append(
            f"only {len(samples)} sample(s) explained: modality shares and top words are indicative only "
            "(explain more with --samples, --misclassified, --least-confident or --most-confident)"
        )
    words = top_words(samples, top_k=top_k, min_count=min_count)
    for name in ("spam", "ham"):
        if samples and not words[name]:
            warnings.append(f"no {name} word reached --min-count {min_count}; lower it or explain more samples")
    return {"modality": modality_summary(samples), "top_words": words, "warnings": warnings}


def methods_description(*, top_k: int, min_count: int) -> dict[str, Any]:
    """Plain-language rules of this module for results.json ``methods``."""
    return {
        "modality": {
            "share": "text share = |text| / (|text| + |image|) per sample and estimator; image share = 1 - text share",
            "estimators": {
                "ig": "signed sums of the joint Integrated Gradients attributions per modality",
                "shapley": "exact two-player Shapley values from four forward passes (full, text only, image "
                           "only, neither; missing modality = its baseline)",
                "attention": "fusion-layer attention mass of position 0 on text vs image tokens",
            },
            "verdict": {
                "estimator": VERDICT_ESTIMATOR,
                "statistic": "median over explained samples",
                "text_dominant": TEXT_DOMINANT,
                "image_dominant": IMAGE_DOMINANT,
            },
            "ig_relative_delta_limit": IG_RELATIVE_DELTA_LIMIT,
            "ig_absolute_delta_floor": IG_ABSOLUTE_DELTA_FLOOR,
        },
        "top_words": {
            "top_k": top_k,
            "min_count": min_count,
            "limit": TOP_WORDS_LIMIT,
            "rule": "per sample, its top_k words by |score|; positive ones push toward spam, negative toward "
                    "ham; count = number of samples in which the word is such a top word (repeats within one "
                    "e-mail summed), mean_score = mean of those per-sample signed scores; kept if "
                    "count >= min_count; ranked by count, then |mean_score|",
        },
    }
