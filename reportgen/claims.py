"""Every definition a claim of the report rests on, in one place, each with its rule in plain words.

The report's sentences ("the text leads", "decided by default", "negligible", "did not converge")
are only as good as the rules behind them. Each rule lives here once, as numbers and a function,
together with a :class:`Definition` whose ``rule`` is the sentence the methods appendix prints, so
what the report says and what the code does cannot drift apart. No torch: the analysis, the
explanation methods and the report all import it.

Every quantity is in **spam log-odds** units (``logit_spam - logit_ham``): positive pushes toward
spam, negative toward ham.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------------------------
# Integrated Gradients convergence
# --------------------------------------------------------------------------------------------

#: A sample whose |IG completeness gap| exceeds this fraction of |f(input) - f(baseline)| ...
IG_RELATIVE_DELTA_LIMIT = 0.05
#: ... and this many log-odds units has not converged. When the input scores like its baseline the
#: change is ~0 and any ratio explodes, although attributions off by 0.01 log-odds change nothing.
IG_ABSOLUTE_DELTA_FLOOR = 0.01


def ig_relative_delta(delta: float, f_input: float, f_baseline: float) -> float:
    """|delta| / |f(input) - f(baseline)|; the change is floored at 1e-12 so the result stays finite JSON."""
    return abs(float(delta)) / max(abs(float(f_input) - float(f_baseline)), 1e-12)


def ig_flagged(delta: float, f_input: float, f_baseline: float) -> bool:
    """True when the IG completeness gap is too large to trust the attributions (see the limits above)."""
    return abs(float(delta)) > max(IG_RELATIVE_DELTA_LIMIT * abs(float(f_input) - float(f_baseline)),
                                   IG_ABSOLUTE_DELTA_FLOOR)


# --------------------------------------------------------------------------------------------
# Which modality leads a decision
# --------------------------------------------------------------------------------------------

#: Below this push toward the predicted class (log-odds) an e-mail is "decided by default": the empty
#: e-mail's score (the baseline) already carries the decision. 0.1 log-odds moves a probability of
#: 0.5 by 2.5 points.
PUSH_FLOOR = 0.1
#: A modality leads when it carries at least this share of the push toward the predicted class; when
#: neither does (each carries more than 1 - LEAD_SHARE) the decision rests on both.
LEAD_SHARE = 0.6
#: Vocabulary of a single decision's leading source.
LEADING = ("text", "image", "both", "none")
#: The estimators of how much each modality moved the score, in the order the report shows them.
#: Shapley feeds every claim; IG is compared with it. Fusion attention says where the fusion layer
#: looked, not how much anything moved the score, so it is no modality estimator.
MODALITY_ESTIMATORS = ("shapley", "ig")


def direction(prediction: int) -> int:
    """+1 for a spam decision (its log-odds rise toward spam), -1 for ham."""
    return 1 if int(prediction) == 1 else -1


def decision_push(text: float, image: float, prediction: int) -> tuple[float, float]:
    """How far each modality pushed toward the predicted class, negative pushes counted as 0.

    A modality pushing against the decision contributed nothing to it, whatever its size.
    """
    d = direction(prediction)
    return max(d * float(text), 0.0), max(d * float(image), 0.0)


def decided_by_default(f_full: float, f_none: float, prediction: int) -> bool:
    """True when the e-mail's content moved the score toward the decision by less than :data:`PUSH_FLOOR`.

    That includes content that moved it *away* from the decision: then the empty e-mail scored the
    predicted class even more clearly, and the baseline alone explains the decision.
    """
    return direction(prediction) * (float(f_full) - float(f_none)) < PUSH_FLOOR


def decision_text_share(text: float, image: float, f_full: float, f_none: float, prediction: int) -> float | None:
    """The text's share of the push toward the predicted class, or ``None`` when decided by default.

    ``text share = push_text / (push_text + push_image)`` where ``push_m = max(±φ_m, 0)`` (``+`` for a
    spam decision, ``-`` for ham). The picture's share is ``1 - text share``.
    """
    if decided_by_default(f_full, f_none, prediction):
        return None
    push_text, push_image = decision_push(text, image, prediction)
    total = push_text + push_image
    # total >= the net push >= PUSH_FLOOR > 0 here
    return push_text / total if total > 0 else None


def leading_from_share(share: float | None) -> str:
    """``"text"``, ``"image"``, ``"both"`` from a text share; ``"none"`` when there is none (decided by default)."""
    if share is None:
        return "none"
    if share >= LEAD_SHARE:
        return "text"
    if share <= 1.0 - LEAD_SHARE:
        return "image"
    return "both"


def leading_modality(text: float, image: float, f_full: float, f_none: float, prediction: int) -> str:
    """The leading source of one decision from a two-way split (Shapley or IG): see :data:`LEADING_RULE`."""
    return leading_from_share(decision_text_share(text, image, f_full, f_none, prediction))


# --------------------------------------------------------------------------------------------
# The verdict over many decisions
# --------------------------------------------------------------------------------------------

#: Confidence level of the bootstrap interval of the mean text share.
CONFIDENCE = 0.95
#: Bootstrap resamples (percentile interval) and their seed: the interval is reproducible.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
#: Fewer decisions than this (not decided by default) give no verdict: an interval of a handful of
#: e-mails says little.
MIN_VERDICT_N = 5
#: Vocabulary of a verdict (over a group of decisions).
VERDICT_LEADING = ("text", "image", "both", "unclear")


def verdict_leading(text_share: float | None, ci95: tuple[float, float] | None, n: int) -> tuple[str, bool]:
    """The verdict over a group and whether it must be hedged.

    Returns:
        ``(leading, hedged)``: leading is the band of the mean text share (text at >= LEAD_SHARE,
        image at <= 1 - LEAD_SHARE, both in between), or ``"unclear"`` when fewer than
        :data:`MIN_VERDICT_N` decisions count or the 95 % interval reaches from the picture's band
        into the text's. ``hedged`` is True when the interval crosses a band edge.
    """
    if text_share is None or ci95 is None or n < MIN_VERDICT_N:
        return "unclear", False
    low, high = ci95
    image_edge, text_edge = 1.0 - LEAD_SHARE, LEAD_SHARE
    if low < image_edge and high > text_edge:
        return "unclear", False
    leading = leading_from_share(text_share)
    bands = {"text": (text_edge, 1.0), "image": (0.0, image_edge), "both": (image_edge, text_edge)}
    lower, upper = bands[leading]
    hedged = low < lower or high > upper
    return leading, hedged


# --------------------------------------------------------------------------------------------
# Colours and top words
# --------------------------------------------------------------------------------------------

#: Word and picture-patch scores smaller than this (log-odds) are not coloured: they change no
#: conclusion (the same size as the IG convergence floor).
COLOUR_NOISE_FLOOR = 0.01
#: The colour scale's end is this percentile of |score| over the report's words and patches.
COLOUR_PERCENTILE = 99.0


def colour_limit(scores: list[float]) -> float:
    """The report's one colour-scale end (log-odds): the :data:`COLOUR_PERCENTILE` of |score|.

    Never below twice the noise floor, so a report of negligible scores still has a readable scale.
    """
    import numpy as np

    magnitudes = np.abs(np.asarray([float(s) for s in scores if math.isfinite(float(s))], dtype=float))
    limit = float(np.percentile(magnitudes, COLOUR_PERCENTILE)) if magnitudes.size else 0.0
    return max(limit, 2 * COLOUR_NOISE_FLOOR)


def negligible(score: float) -> bool:
    """True for a score below the colour noise floor."""
    return abs(float(score)) < COLOUR_NOISE_FLOOR


#: Kinds of token in the top-word lists; only "word" may head them.
WORD_KINDS = ("word", "number", "punctuation")


def word_kind(text: str) -> str:
    """``"punctuation"`` (no letter or digit), ``"number"`` (digits with separators such as ``1,000``,
    ``3.5`` or ``50%``) or ``"word"``."""
    if not any(ch.isalnum() for ch in text):
        return "punctuation"
    stripped = "".join(ch for ch in text if ch not in ".,:%+-/'’")
    return "number" if stripped and all(ch.isdigit() for ch in stripped) else "word"


# --------------------------------------------------------------------------------------------
# The rules in plain words
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """One rule the report's claims rest on: its name, a title and the rule in plain words."""

    name: str
    title: str
    rule: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "rule": self.rule, "values": dict(self.values)}


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "baseline", "Baseline and push",
        "Every e-mail is compared with an empty one: no words (only [CLS] and [SEP]) and a blank picture. "
        "f(none) is the score of that empty e-mail, f(full) the e-mail's own score; the push of the e-mail is "
        "f(full) - f(none). Scores are spam log-odds: positive is spam, negative ham.",
    ),
    Definition(
        "shapley", "Text and picture contributions (Shapley)",
        "The push is split exactly between text and picture by the two-player Shapley value: the text's part "
        "is the average of what adding the text changes with and without the picture, likewise the picture's; "
        "the two parts add up to f(full) - f(none). It is computed for every predicted e-mail.",
    ),
    Definition(
        "decided_by_default", "Decided by default",
        f"An e-mail is decided by default when its content moved the score toward the predicted class by less "
        f"than {PUSH_FLOOR} log-odds (or moved it away from it): the empty e-mail already scores that class, and "
        f"nothing in this e-mail is needed to explain the decision. Such e-mails have no leading source and are "
        f"left out of the share statistics (and counted).",
        {"push_floor": PUSH_FLOOR},
    ),
    Definition(
        "leading", "Leading source of one decision",
        f"Only a push toward the predicted class counts: a modality pushing against the decision contributed "
        f"nothing to it, whatever its size. The text's share is its push toward the decision divided by the sum "
        f"of both modalities' pushes toward it. The text leads at a share of at least {_pct(LEAD_SHARE)}, the "
        f"picture at most {_pct(1 - LEAD_SHARE)}; in between both lead (each carries more than "
        f"{_pct(1 - LEAD_SHARE)}).",
        {"lead_share": LEAD_SHARE},
    ),
    Definition(
        "verdict", "Verdict over many e-mails",
        f"The verdict is the mean text share over every predicted e-mail not decided by default, with a "
        f"{_pct(CONFIDENCE)} bootstrap interval ({BOOTSTRAP_RESAMPLES} resamples, percentile method, seed "
        f"{BOOTSTRAP_SEED}). It names the text (mean at least {_pct(LEAD_SHARE)}), the picture (at most "
        f"{_pct(1 - LEAD_SHARE)}) or both (in between); it says 'no clear lead' when fewer than {MIN_VERDICT_N} "
        f"e-mails count or the interval reaches from below {_pct(1 - LEAD_SHARE)} to above {_pct(LEAD_SHARE)}, and "
        f"it hedges when the interval crosses a band edge. Only the Shapley split feeds it; Integrated Gradients "
        f"is compared with it, and attention never is.",
        {"confidence": CONFIDENCE, "resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED,
         "min_n": MIN_VERDICT_N, "lead_share": LEAD_SHARE},
    ),
    Definition(
        "ig_convergence", "Integrated Gradients convergence",
        f"Integrated Gradients' word and picture scores should add up to f(full) - f(none). The steps start at "
        f"--ig-steps (16 Gauss-Legendre nodes by default) and double while the gap exceeds {_pct(IG_RELATIVE_DELTA_LIMIT)} of that change "
        f"and {IG_ABSOLUTE_DELTA_FLOOR} log-odds, up to --ig-max-steps (256). An e-mail still above it at the cap is flagged: its "
        f"word and picture colours are marked unreliable and it feeds no summary (top words, agreement).",
        {"relative_delta_limit": IG_RELATIVE_DELTA_LIMIT, "absolute_delta_floor": IG_ABSOLUTE_DELTA_FLOOR},
    ),
    Definition(
        "colour_scale", "One colour scale",
        f"Words and picture patches are coloured on one scale for the whole report, in log-odds: its ends are the "
        f"{COLOUR_PERCENTILE:g}th percentile of |score| over all coloured words and patches (stronger ones are "
        f"drawn at full colour). Scores below {COLOUR_NOISE_FLOOR} log-odds are not coloured: they are negligible.",
        {"noise_floor": COLOUR_NOISE_FLOOR, "percentile": COLOUR_PERCENTILE},
    ),
    Definition(
        "top_words", "Top words",
        f"A word's score in an e-mail is the sum of its pieces' Integrated Gradients scores (summed again if it "
        f"occurs twice), from e-mails whose Integrated Gradients converged. A word is listed toward spam or toward "
        f"ham by the sign of its mean score over the e-mails it was seen in, never in both lists, and in neither "
        f"when that mean is below {COLOUR_NOISE_FLOOR} log-odds; it must be among the strongest words of enough "
        f"e-mails. Lists are ordered by total push (mean score times the e-mails it was seen in). "
        f"Punctuation-only and pure-number tokens are kept in the tables, marked, but never head the lists.",
    ),
)


def definitions() -> dict[str, dict[str, Any]]:
    """Every definition as plain JSON (results.json ``methods.claims``), keyed by name."""
    return {d.name: d.to_dict() for d in DEFINITIONS}
