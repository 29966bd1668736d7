"""Classification metrics for results.json and ``reportgen predict`` (spam = positive class 1)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def classification_metrics(
    labels: Sequence[int] | None,
    predictions: Sequence[int],
    prob_spam: Sequence[float],
) -> dict[str, Any] | None:
    """Accuracy, precision/recall/F1 for spam, confusion matrix and ROC, as the schema's ``metrics``.

    Args:
        labels: true labels (0 ham, 1 spam), or None for unlabelled data.
        predictions: predicted labels.
        prob_spam: predicted spam probabilities (for ROC).

    Returns:
        ``{n, accuracy, precision, recall, f1, confusion_matrix [[TN, FP], [FN, TP]], roc_auc,
        roc_curve {fpr, tpr}}`` with plain Python numbers; ``roc_auc`` is None (and the curve empty)
        when only one class is present. None when ``labels`` is None.
    """
    if labels is None:
        return None
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        precision_recall_fscore_support,
        roc_auc_score,
        roc_curve,
    )

    y_true = np.asarray(labels, dtype=int)
    y_pred = np.asarray(predictions, dtype=int)
    scores = np.asarray(prob_spam, dtype=float)
    if not len(y_true) == len(y_pred) == len(scores):
        raise ValueError("labels, predictions and prob_spam differ in length")
    # zero_division=0: a model that never predicts spam has precision 0, not a warning.
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=[1], average="binary", pos_label=1, zero_division=0
    )
    matrix = confusion_matrix(y_true, y_pred, labels=[0, 1])
    both_classes = len(np.unique(y_true)) == 2
    if both_classes:
        fpr, tpr, _ = roc_curve(y_true, scores, pos_label=1)
        roc = {"fpr": [float(x) for x in fpr], "tpr": [float(x) for x in tpr]}
        auc: float | None = float(roc_auc_score(y_true, scores))
    else:
        roc, auc = {"fpr": [], "tpr": []}, None
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "confusion_matrix": [[int(v) for v in line] for line in matrix],
        "roc_auc": auc,
        "roc_curve": roc,
    }


def format_metrics(metrics: dict[str, Any]) -> str:
    """Human-readable summary printed by the CLI (metrics + labelled confusion matrix)."""
    (tn, fp), (fn, tp) = metrics["confusion_matrix"]
    auc = "n/a (one class)" if metrics["roc_auc"] is None else f"{metrics['roc_auc']:.4f}"
    width = max(len(str(v)) for v in (tn, fp, fn, tp, "spam"))
    return "\n".join(
        [
            f"n          {metrics['n']}",
            f"accuracy   {metrics['accuracy']:.4f}",
            f"precision  {metrics['precision']:.4f}  (spam)",
            f"recall     {metrics['recall']:.4f}  (spam)",
            f"F1         {metrics['f1']:.4f}  (spam)",
            f"ROC AUC    {auc}",
            "confusion matrix (rows: true, columns: predicted)",
            f"  {'':>10} {'ham':>{width}} {'spam':>{width}}",
            f"  {'true ham':>10} {tn:>{width}} {fp:>{width}}",
            f"  {'true spam':>10} {fn:>{width}} {tp:>{width}}",
        ]
    )
