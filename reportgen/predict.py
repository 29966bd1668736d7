"""Batched MMTD predictions over an EDP selection, one row per e-mail."""

from __future__ import annotations

import sys

import pandas as pd
import torch

from reportgen.data import EDPDataset
from reportgen.model import HAM, MMTD, SPAM
from reportgen.preprocessing import Preprocessor

#: Column order of every predictions table (CSV and results.json).
PREDICTION_COLUMNS = ["row", "label", "prediction", "prob_ham", "prob_spam", "logit_ham", "logit_spam"]


def predict(
    model: MMTD,
    preprocessor: Preprocessor,
    dataset: EDPDataset,
    *,
    batch_size: int = 16,
    device: str = "cpu",
    progress: bool = True,
) -> pd.DataFrame:
    """Predict ham/spam for every selected row.

    Pictures are opened batch by batch, so memory does not grow with the dataset.

    Args:
        model: an MMTD in eval mode, already on ``device``.
        preprocessor: turns texts and pictures into model inputs.
        dataset: the selected rows.
        batch_size: e-mails per forward pass.
        device: where the inputs go (the model's device).
        progress: show a tqdm bar on stderr.

    Returns:
        A DataFrame with columns exactly ``row, label, prediction, prob_ham, prob_spam, logit_ham,
        logit_spam``: ``row`` is the CSV data-row position, ``label`` a nullable integer (NA when the
        data is unlabelled), ``prediction`` the argmax class (1 = spam).
    """
    from tqdm.auto import tqdm

    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    model.eval()
    logits_parts = []
    with torch.inference_mode(), tqdm(
        total=len(dataset), unit="email", desc="predict", file=sys.stderr, disable=not progress
    ) as bar:
        for start in range(0, len(dataset), batch_size):
            indices = range(start, min(start + batch_size, len(dataset)))
            encoded = preprocessor.encode(
                [dataset.texts[i] for i in indices], [dataset.load_image(i) for i in indices]
            )
            encoded = {key: value.to(device) for key, value in encoded.items()}
            logits_parts.append(model(**encoded).float().cpu())
            bar.update(len(indices))
    logits = torch.cat(logits_parts) if logits_parts else torch.zeros((0, 2))
    probs = torch.softmax(logits.double(), dim=-1)
    labels = dataset.labels if dataset.labels is not None else [pd.NA] * len(dataset)
    return pd.DataFrame(
        {
            "row": pd.Series(dataset.rows, dtype="int64"),
            "label": pd.Series(labels, dtype="Int64"),
            "prediction": pd.Series(logits.argmax(dim=-1).numpy(), dtype="int64"),
            "prob_ham": probs[:, HAM].numpy(),
            "prob_spam": probs[:, SPAM].numpy(),
            "logit_ham": logits[:, HAM].double().numpy(),
            "logit_spam": logits[:, SPAM].double().numpy(),
        },
        columns=PREDICTION_COLUMNS,
    )
