"""Display names: one spelling per estimator, class and outcome, for every sentence, table and chart.

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
