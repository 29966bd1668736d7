"""Batched MMTD predictions over an EDP selection, one row per e-mail."""

from __future__ import annotations

import os
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Iterator

import pandas as pd
import torch

from reportgen.errors import ReportgenError
from reportgen.mmtd.edp import EDPDataset
from reportgen.mmtd.model import HAM, MMTD, SPAM
from reportgen.mmtd.preprocessing import Preprocessor

if TYPE_CHECKING:
    from reportgen.options import ExplainOptions

#: Column order of every predictions table (CSV and results.json).
PREDICTION_COLUMNS = ["row", "label", "prediction", "prob_ham", "prob_spam", "logit_ham", "logit_spam"]
#: Columns added by ``predict(..., shapley=...)``: the exact two-player Shapley split of the spam log-odds.
SHAPLEY_COLUMNS = ["shapley_text", "shapley_image", "f_none", "f_full"]


def predict(
    model: MMTD,
    preprocessor: Preprocessor,
    dataset: EDPDataset,
    *,
    batch_size: int = 16,
    device: str = "cpu",
    progress: bool = True,
    workers: int | None = None,
    shapley: ExplainOptions | None = None,
) -> pd.DataFrame:
    """Predict ham/spam for every selected row.

    Pictures are opened batch by batch, so memory does not grow with the dataset; a few threads
    decode and resize the next batches' pictures while the model runs (PIL releases the GIL), which
    is the bottleneck on a GPU.

    Args:
        model: an MMTD in eval mode, already on ``device``.
        preprocessor: turns texts and pictures into model inputs.
        dataset: the selected rows.
        batch_size: e-mails per forward pass.
        device: where the inputs go (the model's device).
        progress: show a tqdm bar on stderr.
        workers: picture-preparing threads (default: 1 — no threads — on the CPU, where the model
            already uses every core and extra threads only fight it; ``min(4, CPU count)`` on a GPU).
            The result does not depend on it.
        shapley: with the baseline options, also split every row's spam log-odds between text and
            picture (:class:`reportgen.explain.shapley.WholeSetShapley`, reusing this pass's encoder
            states).

    Returns:
        A DataFrame with columns exactly ``row, label, prediction, prob_ham, prob_spam, logit_ham,
        logit_spam`` (+ :data:`SHAPLEY_COLUMNS` with ``shapley``): ``row`` is the CSV data-row
        position, ``label`` a nullable integer (NA when the data is unlabelled), ``prediction`` the
        argmax class (1 = spam).

    Raises:
        ReportgenError: a logit is NaN or infinite (the message names the first rows).
    """
    from tqdm.auto import tqdm

    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    model.eval()
    logits_parts = []
    split_parts: list[dict] = []
    whole_set = None
    if shapley is not None:
        from reportgen.explain.shapley import WholeSetShapley

        whole_set = WholeSetShapley(model, preprocessor.special_ids, shapley)
    with torch.inference_mode(), tqdm(
        total=len(dataset), unit="email", desc="predict", file=sys.stderr, disable=not progress
    ) as bar:
        if workers is None and torch.device(device).type == "cpu":
            workers = 1
        for encoded in encoded_batches(preprocessor, dataset, batch_size, workers=workers):
            encoded = {key: value.to(device) for key, value in encoded.items()}
            if whole_set is None:
                logits_parts.append(model(**encoded).float().cpu())
            else:
                batch_logits, split = whole_set(encoded)
                logits_parts.append(batch_logits)
                split_parts.append(split)
            bar.update(len(encoded["input_ids"]))
    logits = torch.cat(logits_parts) if logits_parts else torch.zeros((0, 2))
    # Finite weights can still overflow float32 on some inputs; NaN probabilities would pass as
    # empty CSV cells and only fail later, inside scikit-learn.
    bad = (~torch.isfinite(logits).all(dim=-1)).nonzero().flatten().tolist()
    if bad:
        rows = ", ".join(str(dataset.rows[i]) for i in bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else "")
        raise ReportgenError(
            f"the model's outputs (logits) are NaN or infinite for {len(bad)} of {len(logits)} e-mails "
            f"(data rows {rows}): its weights overflow on these inputs"
        )
    probs = torch.softmax(logits.double(), dim=-1)
    labels = dataset.labels if dataset.labels is not None else [pd.NA] * len(dataset)
    columns = {
        "row": pd.Series(dataset.rows, dtype="int64"),
        "label": pd.Series(labels, dtype="Int64"),
        "prediction": pd.Series(logits.argmax(dim=-1).numpy(), dtype="int64"),
        "prob_ham": probs[:, HAM].numpy(),
        "prob_spam": probs[:, SPAM].numpy(),
        "logit_ham": logits[:, HAM].double().numpy(),
        "logit_spam": logits[:, SPAM].double().numpy(),
    }
    if whole_set is not None:
        import numpy as np

        for column, key in zip(SHAPLEY_COLUMNS, ("text", "image", "f_none", "f_full")):
            columns[column] = np.concatenate([part[key] for part in split_parts]) if split_parts else np.zeros(0)
    return pd.DataFrame(columns, columns=PREDICTION_COLUMNS + (SHAPLEY_COLUMNS if whole_set is not None else []))


def encoded_batches(
    preprocessor: Preprocessor, dataset: EDPDataset, batch_size: int, *, workers: int | None = None
) -> Iterator[dict[str, torch.Tensor]]:
    """Yield the dataset's model inputs batch by batch, in row order.

    Pictures of up to ``workers`` batches are prepared ahead in threads; texts are tokenised in the
    calling thread (a fast tokenizer's padding settings are shared state).
    """
    workers = min(4, os.cpu_count() or 1) if workers is None else max(1, int(workers))
    starts = range(0, len(dataset), batch_size)

    def pictures(start: int) -> dict[str, torch.Tensor]:
        indices = range(start, min(start + batch_size, len(dataset)))
        return preprocessor.encode_images([dataset.load_image(i) for i in indices])

    def texts(start: int) -> dict[str, torch.Tensor]:
        return preprocessor.encode_texts(dataset.texts[start : start + batch_size])

    if workers == 1:
        for start in starts:
            yield {**texts(start), **pictures(start)}
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reportgen-pictures") as pool:
        pending: deque = deque()
        try:
            for start in starts:
                pending.append((start, pool.submit(pictures, start)))
                if len(pending) > workers:
                    first, future = pending.popleft()
                    yield {**texts(first), **future.result()}
            while pending:
                first, future = pending.popleft()
                yield {**texts(first), **future.result()}
        finally:
            # An error (or an abandoned generator) must not leave queued batches decoding.
            for _, future in pending:
                future.cancel()
