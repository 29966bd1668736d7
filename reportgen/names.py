"""Display names: one spelling per estimator, class and outcome, for every sentence, table and chart,
and how counts and a missing text are worded.

Plain data with no imports, so that any layer (analysis, results, report) can use it.
"""

from __future__ import annotations

#: The modality estimators, in the order the report shows them (keys of a sample's ``modality``):
#: Shapley first, since every claim rests on it; IG is compared with it. Fusion attention is none:
#: it says where the fusion layer looked, not how far anything moved the score.
ESTIMATORS = ("shapley", "ig")

#: Estimator key → name shown to readers (sentences, table cells, chart legends and titles).
ESTIMATOR_NAMES = {
    "shapley": "Shapley (two-player)",
    "ig": "Integrated Gradients",
}

#: Class label (results.json ``label``/``prediction``) → name; ``None`` is an e-mail without a label.
CLASS_NAMES = {0: "ham", 1: "spam", None: "unlabelled"}

#: Confusion-matrix outcomes with spam as the positive class, in the report's order.
OUTCOMES = ("TP", "FP", "TN", "FN")

#: Outcome code → what it means for a reader.
OUTCOME_NAMES = {
    "TP": "spam caught",
    "FP": "wanted e-mail flagged as spam",
    "TN": "wanted e-mail let through",
    "FN": "spam let through",
}


def class_name(label: int | None) -> str:
    """The display name of a class label (``0``, ``1`` or ``None`` for unlabelled)."""
    return CLASS_NAMES[None if label is None else int(label)]


def missing_text_note(read_as: str) -> str:
    """What a report says about an e-mail without text in the data, given what the model read instead.

    Args:
        read_as: the stand-in text (results.json ``dataset.missing_text.fed_as``, which is also the
            sample's ``text``): ``"null"`` as MMTD's training read a missing text, or ``""``.
    """
    if read_as:
        return f"No text in the data; the model read it as {read_as!r}, as in training."
    return "No text in the data; the model read an empty text (--missing-text empty, not as in training)."


def count(n: int, noun: str, plural: str | None = None, *, zero: str = "no") -> str:
    """A number of things as a reader says it: ``no mistakes``, ``1 mistake``, ``3 mistakes``.

    Args:
        n: how many.
        noun: the singular, e.g. ``"wanted e-mail"``.
        plural: the plural when it is not ``noun + "s"`` (e.g. ``"boxes"``).
        zero: the word for none (``"no"``); pass ``"0"`` where a digit reads better (tables, tallies).

    Returns:
        ``"<n> <noun>"`` with the noun in the singular only for exactly one.
    """
    n = int(n)
    word = noun if n == 1 else (plural if plural is not None else f"{noun}s")
    return f"{zero if n == 0 else n} {word}"
