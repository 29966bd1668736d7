"""The sentences the report uses for its claims, from results data alone (no torch, no HTML).

Every sentence here follows from numbers the report shows next to it, by the rules of
:mod:`reportgen.claims`: a contribution is stated with its sign and size, relative to what the
empty e-mail already scores, and a claim the evidence does not carry is not made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportgen.claims import COLOUR_NOISE_FLOOR, LEAD_SHARE, PUSH_FLOOR
# Counts and the missing-text note are spelt in names.py, which every layer may import.
from reportgen.names import count, missing_text_note  # noqa: F401  (re-exported for the sections)

#: How the report names a leading source.
SOURCE_NAMES = {"text": "the text", "image": "the picture", "both": "the text and the picture together",
                "none": "nothing (decided by default)", "unclear": "no clear lead"}
#: Short labels for tables.
SOURCE_LABELS = {"text": "text", "image": "picture", "both": "both", "none": "none (default)",
                 "unclear": "no clear lead"}
_EMPTY_PICTURE = {"white": "a blank page", "black": "a black page", "blur": "a blurred copy of its picture"}


def signed(value: float, decimals: int | None = None) -> str:
    """``+0.40`` / ``−3.00`` / ``+0.003`` with a real minus sign (what a reader sees in sentences).

    Without ``decimals``, values under 0.1 get three so that a push of 0.003 does not read +0.00.
    """
    if decimals is None:
        decimals = 3 if abs(float(value)) < 0.1 else 2
    text = f"{float(value):+.{decimals}f}"
    return text.replace("-", "\u2212")


def percent(share: float | None) -> str:
    """A share as ``49 %`` (``—`` when there is none), the one way shares are written."""
    return "—" if share is None else f"{100 * float(share):.0f}\u00a0%"


def magnitude(value: float) -> str:
    """An unsigned size with enough digits to tell 0.002 from 0.02."""
    value = abs(float(value))
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def class_of(score: float) -> str:
    """The class a spam log-odds score stands for (0 is ham, as the model's argmax decides)."""
    return "spam" if float(score) > 0 else "ham"


def empty_email(image_baseline: str | None) -> str:
    """``an empty e-mail with a blank page`` (or the baseline picture the analysis used)."""
    return f"an empty e-mail with {_EMPTY_PICTURE.get(str(image_baseline), 'its baseline picture')}"


def baseline_sentence(shapley: Mapping[str, Any], image_baseline: str | None) -> str:
    """Where the score starts (the empty e-mail), what each part of the e-mail added, where it ends.

    E.g. "An empty e-mail with a blank page already scores −3.00 (ham). This e-mail's text moved the
    score by +0.40 and its picture by +5.60, to +3.00 (spam)."
    """
    f_none, f_full = float(shapley["f_none"]), float(shapley["f_full"])
    empty = empty_email(image_baseline)
    return (f"{empty[0].upper()}{empty[1:]} already scores {signed(f_none)} ({class_of(f_none)}). This e-mail's "
            f"text moved the score by {signed(shapley['text'])} and its picture by {signed(shapley['image'])}, to "
            f"{signed(f_full)} ({class_of(f_full)}).")


def leading_sentence(modality: Mapping[str, Any], prediction: int) -> str:
    """Which part of the e-mail carried the decision, by the sign- and size-aware rule."""
    decision = "spam" if int(prediction) == 1 else "ham"
    shapley = modality["shapley"]
    leading = modality["leading"]
    if leading == "none":
        push = float(shapley["f_full"]) - float(shapley["f_none"])
        empty = class_of(shapley["f_none"])
        if abs(push) < PUSH_FLOOR:
            return (f"Decided by default: the e-mail's content moved the score by only {magnitude(push)} in all, less "
                    f"than the {PUSH_FLOOR} log-odds a push needs to count; the empty e-mail's {empty} score stands.")
        return (f"Decided by default: neither the text nor the picture pushed toward {decision} by {PUSH_FLOOR} "
                f"log-odds or more; the empty e-mail already scores {empty}.")
    share = float(shapley["text_share"])
    against = [name for name, key in (("text", "text"), ("picture", "image"))
               if (float(shapley[key]) > 0) != (decision == "spam") and float(shapley[key]) != 0]
    verb = "get" if len(against) > 1 else "gets"
    against_text = (f" The {' and the '.join(against)} pushed against the decision and {verb} no share of it."
                    if against else "")
    if leading == "both":
        return (f"Both parts carried the {decision} decision: the text {100 * share:.0f} % of the push toward "
                f"{decision}, the picture {100 * (1 - share):.0f} %.{against_text}")
    part, carried = ("text", share) if leading == "text" else ("picture", 1 - share)
    return (f"The {part} carried the {decision} decision: {100 * carried:.0f} % of the push toward {decision} "
            f"(it leads at {100 * LEAD_SHARE:.0f} % or more).{against_text}")


def strongest_word_caption(words: Sequence[Mapping[str, Any]]) -> str:
    """The strongest word's push in log-odds, called negligible below the colour noise floor."""
    if not words:
        return "This e-mail has no scored word."
    strongest = max(words, key=lambda w: abs(float(w["score"])))
    score = float(strongest["score"])
    if abs(score) < COLOUR_NOISE_FLOOR:
        return (f"The strongest word in this e-mail moved the score by {magnitude(score)} — negligible (below "
                f"{COLOUR_NOISE_FLOOR}), so no word is coloured.")
    return (f"The strongest word, “{strongest['text']}”, moved the score by {signed(score, 3)} "
            f"(toward {class_of(score)}).")


def interval(summary: Mapping[str, Any]) -> str:
    """``62 % (95 % interval 55–70 %), 120 e-mails`` or ``n/a``."""
    share, ci = summary.get("text_share"), summary.get("ci95")
    if share is None:
        return "n/a"
    text = f"{100 * share:.0f}\u00a0%"
    if ci:
        text += f" (95\u00a0% interval {100 * ci[0]:.0f}–{100 * ci[1]:.0f}\u00a0%)"
    return text
