"""Summaries over many decisions: the verdict with its interval, groups, IG agreement, top words, warnings.

Works on plain results data (results.json ``predictions`` and ``samples``), never on the model, so
it is tested without torch and could be re-run from a results.json alone. Every rule it applies is
defined in :mod:`reportgen.claims`.

The verdict rests on the whole-set Shapley split (every predicted e-mail), not on the handful of
explained ones; Integrated Gradients is only compared with it, and attention never enters it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from statistics import mean
from typing import Any

from reportgen.claims import (
    BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CONFIDENCE, IG_ABSOLUTE_DELTA_FLOOR, IG_RELATIVE_DELTA_LIMIT, LEAD_SHARE,
    MIN_VERDICT_N, colour_limit, decision_text_share, definitions, ig_flagged, ig_relative_delta, leading_from_share,
    verdict_leading, word_kind, COLOUR_NOISE_FLOOR,
)
from reportgen.names import ESTIMATOR_NAMES, OUTCOMES
from reportgen.names import count

#: Fewer explained samples than this gets a warning that the word lists are only indicative.
FEW_SAMPLES = 10
#: Longest top-word list per class kept in results.json.
TOP_WORDS_LIMIT = 30
CLASSES = (("spam", 1), ("ham", 0))
#: What the verdict is computed from, in words (results.json ``aggregate.verdict.basis``).
BASIS = f"exact {ESTIMATOR_NAMES['shapley']} split of every predicted e-mail (text vs picture, spam log-odds)"


def outcome(label: int | None, prediction: int) -> str | None:
    """TP/FP/TN/FN with spam as the positive class; ``None`` without a label."""
    if label is None:
        return None
    return {(1, 1): "TP", (0, 1): "FP", (0, 0): "TN", (1, 0): "FN"}[(int(label), int(prediction))]


def prediction_share(prediction: dict[str, Any]) -> float | None:
    """The text's share of one prediction's push toward its decision (``None``: decided by default)."""
    split = prediction["shapley"]
    return decision_text_share(split["text"], split["image"], split["f_full"], split["f_none"],
                               prediction["prediction"])


def bootstrap_ci(values: Sequence[float]) -> tuple[float, float] | None:
    """The seeded percentile bootstrap interval of the mean (scipy.stats.bootstrap), ``None`` below 2 values."""
    import numpy as np
    from scipy.stats import bootstrap

    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    if np.all(data == data[0]):  # no spread: every resample has the same mean
        return float(data[0]), float(data[0])
    result = bootstrap((data,), np.mean, confidence_level=CONFIDENCE, n_resamples=BOOTSTRAP_RESAMPLES,
                       method="percentile", rng=np.random.default_rng(BOOTSTRAP_SEED))
    interval = result.confidence_interval
    return float(interval.low), float(interval.high)


def share_summary(predictions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean text share with its 95 % interval and the verdict over a group of predictions.

    Returns:
        ``{"leading", "hedged", "text_share", "ci95", "n", "n_decided_by_default"}``: ``n`` counts the
        predictions that enter the share (not decided by default), ``leading`` is one of
        ``text``/``image``/``both``/``unclear`` (:func:`reportgen.claims.verdict_leading`).
    """
    shares = [prediction_share(p) for p in predictions]
    kept = [s for s in shares if s is not None]
    share = mean(kept) if kept else None
    ci = bootstrap_ci(kept)
    leading, hedged = verdict_leading(share, ci, len(kept))
    return {
        "leading": leading,
        "hedged": hedged,
        "text_share": share,
        "ci95": list(ci) if ci is not None else None,
        "n": len(kept),
        "n_decided_by_default": len(shares) - len(kept),
    }


_SOURCE = {"text": "the text", "image": "the picture", "both": "the text and the picture together"}


def _pct(value: float) -> str:
    return f"{100 * value:.0f}\u00a0%"


def headline(summary: dict[str, Any], n_total: int) -> str:
    """The verdict in plain words, hedged when its interval crosses a band edge."""
    n, default = summary["n"], summary["n_decided_by_default"]
    default_text = (f" {default} of {count(n_total, 'e-mail')} {'was' if default == 1 else 'were'} decided by "
                    f"default (the empty e-mail already scored {'its' if default == 1 else 'their'} class) and "
                    f"{'is' if default == 1 else 'are'} not counted." if default else "")
    if summary["text_share"] is None:
        return (f"No clear lead: none of the {count(n_total, 'predicted e-mail')} moved its score toward its decision by "
                f"enough to say which part of it mattered.{default_text}")
    share = summary["text_share"]
    ci = summary["ci95"]
    interval = f" (95\u00a0% interval {_pct(ci[0])}–{_pct(ci[1])})" if ci else ""
    measured = (f"on average {_pct(share)} of the push toward each decision came from the text{interval}, "
                f"over {count(n, 'e-mail')}.")
    leading = summary["leading"]
    if leading == "both":
        return f"The decisions rest on the text and the picture together: {measured}{default_text}"
    if leading == "unclear":
        if n < MIN_VERDICT_N:
            return (f"No clear lead: only {count(n, 'e-mail')} {'counts' if n == 1 else 'count'}, too few to say; "
                    f"{measured}{default_text}")
        return f"No clear lead: {measured} The interval is too wide to name a source.{default_text}"
    source = _SOURCE[leading]
    if summary["hedged"]:
        return (f"The decisions probably rest mostly on {source}, but not certainly: {measured} The interval "
                f"crosses a limit ({_pct(1 - LEAD_SHARE)} or {_pct(LEAD_SHARE)} text).{default_text}")
    return f"The decisions rest mostly on {source}: {measured}{default_text}"


def verdict(predictions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The results.json ``aggregate.verdict``: the share summary over every prediction plus its basis and headline."""
    summary = share_summary(predictions)
    return {**summary, "basis": BASIS, "headline": headline(summary, len(predictions))}


def groups(predictions: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Share summaries by true class, by outcome and by language (groups without members are left out)."""
    by_class = {name: share_summary([p for p in predictions if p.get("label") == value]) for name, value in CLASSES
                if any(p.get("label") == value for p in predictions)}
    by_outcome = {}
    for name in OUTCOMES:
        members = [p for p in predictions if outcome(p.get("label"), p["prediction"]) == name]
        if members:
            by_outcome[name] = share_summary(members)
    languages = sorted({p["language"] for p in predictions if p.get("language")})
    by_language = {lang: share_summary([p for p in predictions if p.get("language") == lang]) for lang in languages}
    return {"true_class": by_class, "outcome": by_outcome, "language": by_language}


def ig_agreement(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Where Integrated Gradients names the same leading source as Shapley, over the explained e-mails.

    E-mails whose IG did not converge are not compared (counted in ``n_not_converged``).
    """
    compared = [s for s in samples if s["modality"]["agreement"]["compared"]]
    agree = [s["row"] for s in compared if s["modality"]["agreement"]["agree"]]
    disagree = [s["row"] for s in compared if not s["modality"]["agreement"]["agree"]]
    return {"n_compared": len(compared), "n_agree": len(agree), "rows_disagree": disagree,
            "n_not_converged": len(samples) - len(compared)}


def colour_scale(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The report's one colour scale for words and picture patches (log-odds), from converged samples only."""
    scores: list[float] = []
    for sample in samples:
        if sample["integrated_gradients"].get("flagged"):
            continue
        scores.extend(float(w["score"]) for w in sample["words"])
        scores.extend(float(v) for row in sample["image_scores"] for v in row)
    return {"limit": colour_limit(scores), "noise_floor": COLOUR_NOISE_FLOOR, "unit": "log-odds"}


def top_words(samples: Sequence[dict[str, Any]], *, top_k: int = 10, min_count: int = 2,
              limit: int = TOP_WORDS_LIMIT) -> dict[str, list[dict[str, Any]]]:
    """Words that push toward each class, each in one list only.

    A word's score in an e-mail is the sum of its scores there (it may occur more than once). Over
    the explained e-mails: ``n_seen`` counts the e-mails it occurs in and ``mean_score`` is the mean
    of its per-e-mail scores over those; ``count`` counts the e-mails where it is among the
    ``top_k`` words by |score|. A word with ``count >= min_count`` goes to the spam list when its
    mean score is at least the colour noise floor, to the ham list when at most minus it (a smaller
    mean is negligible: in neither list). Within a list words come first (punctuation-only and
    pure-number tokens after them, marked by ``kind``), then by their total push
    ``|mean_score| * n_seen`` (a strong word in few e-mails can outrank a weak one in many) and
    alphabetically; cut at ``limit``.

    Returns:
        ``{"spam": [...], "ham": [...]}`` of ``{"word", "kind", "count", "n_seen", "mean_score"}``.
    """
    seen: dict[str, list[float]] = {}
    top_counts: dict[str, int] = {}
    for sample in samples:
        per_sample: dict[str, float] = {}
        for word in sample["words"]:
            per_sample[word["text"]] = per_sample.get(word["text"], 0.0) + float(word["score"])
        for text, score in per_sample.items():
            seen.setdefault(text, []).append(score)
        ranked = sorted(per_sample.items(), key=lambda item: (-abs(item[1]), item[0]))[:top_k]
        for text, score in ranked:
            if score != 0:
                top_counts[text] = top_counts.get(text, 0) + 1
    result: dict[str, list[dict[str, Any]]] = {"spam": [], "ham": []}
    for text, count in top_counts.items():
        if count < min_count:
            continue
        score = mean(seen[text])
        if abs(score) < COLOUR_NOISE_FLOOR:
            continue
        result["spam" if score > 0 else "ham"].append(
            {"word": text, "kind": word_kind(text), "count": count, "n_seen": len(seen[text]), "mean_score": score})
    for name, rows in result.items():
        rows.sort(key=lambda r: (r["kind"] != "word", -abs(r["mean_score"]) * r["n_seen"], r["word"]))
        result[name] = rows[:limit]
    return result


def aggregate(predictions: Sequence[dict[str, Any]], samples: Sequence[dict[str, Any]], *, top_k: int = 10,
              min_count: int = 2, skipped: Iterable[dict[str, Any]] = (),
              extra_warnings: Iterable[str] = ()) -> dict[str, Any]:
    """The results.json ``aggregate`` block.

    Args:
        predictions: every prediction (results.json ``predictions`` items, with ``shapley``).
        samples: the explained samples (results.json ``samples`` items).
        top_k: words per sample considered for the top-word lists.
        min_count: minimum number of samples in which a top word occurs.
        skipped: the dataset's skipped rows (``{row, pic, reason}``), reported as a warning.
        extra_warnings: warnings from earlier stages (e.g. sample selection), kept first.

    Returns:
        ``{"verdict", "groups", "ig_agreement", "colour_scale", "top_words", "warnings"}`` as
        described in the results schema.
    """
    warnings = list(extra_warnings)
    skipped = list(skipped)
    if skipped:
        rows = ", ".join(str(s["row"]) for s in skipped[:10]) + (" …" if len(skipped) > 10 else "")
        warnings.append(f"{count(len(skipped), 'row')} skipped as invalid and left out of every result: {rows}")
    flagged = []
    for sample in samples:
        ig = sample["integrated_gradients"]
        if ig_flagged(ig["delta"], ig["f_input"], ig["f_baseline"]):
            relative = ig_relative_delta(ig["delta"], ig["f_input"], ig["f_baseline"])
            flagged.append(f"{sample['row']} ({relative:.1%} after {ig['n_steps']} steps)")
    if flagged:
        warnings.append(
            f"{ESTIMATOR_NAMES['ig']} did not converge within {IG_RELATIVE_DELTA_LIMIT:.0%} of f(input) - "
            f"f(baseline) (and {IG_ABSOLUTE_DELTA_FLOOR} log-odds) for {'row' if len(flagged) == 1 else 'rows'} "
            f"{', '.join(flagged)}: their word and picture colours are unreliable and they are left out of the top "
            f"words and the {ESTIMATOR_NAMES['ig']} comparison; raise --ig-max-steps"
        )
    converged = [s for s in samples if not s["integrated_gradients"].get("flagged")]
    if samples and len(samples) < FEW_SAMPLES:
        warnings.append(
            f"only {count(len(samples), 'sample')} explained: top words are indicative only (explain more with "
            "--samples, --misclassified, --least-confident or --most-confident); the verdict uses every prediction"
        )
    words = top_words(converged, top_k=top_k, min_count=min_count)
    for name in ("spam", "ham"):
        if converged and not words[name]:
            warnings.append(f"no {name} word reached --min-count {min_count}; lower it or explain more samples")
    return {
        "verdict": verdict(predictions),
        "groups": groups(predictions),
        "ig_agreement": ig_agreement(samples),
        "colour_scale": colour_scale(samples),
        "top_words": words,
        "warnings": warnings,
    }


def prediction_claims(prediction: dict[str, Any]) -> dict[str, Any]:
    """``text_share`` and ``leading`` of one prediction (results.json ``predictions[i]``)."""
    share = prediction_share(prediction)
    return {"text_share": share, "leading": leading_from_share(share)}


def methods_description(*, top_k: int, min_count: int) -> dict[str, Any]:
    """Plain-language rules for results.json ``methods``: every definition of :mod:`reportgen.claims`."""
    return {
        "claims": definitions(),
        "modality": {
            "estimators": {
                "shapley": f"exact {ESTIMATOR_NAMES['shapley']} values from four fusion passes (full, text only, "
                           "picture only, neither; a missing modality = its baseline), for every predicted e-mail",
                "ig": f"signed sums of the joint {ESTIMATOR_NAMES['ig']} attributions per modality (explained "
                      f"e-mails only; compared with {ESTIMATOR_NAMES['shapley']}, never the basis of a claim)",
            },
            "verdict": {"basis": BASIS, "statistic": "mean text share", "lead_share": LEAD_SHARE,
                        "confidence": CONFIDENCE},
        },
        "top_words": {"top_k": top_k, "min_count": min_count, "limit": TOP_WORDS_LIMIT},
    }
