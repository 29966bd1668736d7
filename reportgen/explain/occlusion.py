"""Occlusion: a second opinion on Integrated Gradients, one forward pass per word and per patch.

Each word (all of its WordPiece tokens at once) is replaced by ``[PAD]`` — the text baseline of
Integrated Gradients — and each picture patch (the encoder's own patch: window = stride = patch
size) by the IG picture baseline. A unit's score is ``f(input) - f(input with the unit occluded)``
in spam log-odds, so, as with IG, a positive score pushes toward spam.

* Words: Captum's ``FeatureAblation`` with a feature mask that maps every token to its word. A word
  is a variable-length group of tokens, which Captum's ``Occlusion`` (a fixed sliding window) cannot
  express.
* Patches: Captum's ``FeatureAblation`` with one feature per patch of the encoder's grid (what
  ``Occlusion`` with a patch-sized window at patch stride does), so that the patches that already
  equal the fill can share one pass: their score is exactly 0.

Occluding a word leaves the picture encoder's output unchanged and vice versa, so each pass runs only
the perturbed modality's encoder (batched, :data:`FORWARD_BATCH` variants per pass) and fuses it with
the other encoder's states of the unperturbed input — reused from the attention pass when it ran.
:func:`text_forward` and :func:`image_forward` are those one-encoder forwards; the faithfulness
checks use them too.

Agreement with IG per sample: Spearman's rank correlation of the signed scores and the overlap of
the five units with the largest ``|score|``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from captum.attr import FeatureAblation

from reportgen.explain.baselines import (
    baseline_inputs, encoder_states, inference_ready, prepare_inputs, text_baseline_ids,
)
from reportgen.explain.registry import Method, SampleContext
from reportgen.explain.words import merge_wordpieces
from reportgen.mmtd.model import MMTD, spam_log_odds
from reportgen.options import ExplainOptions

#: Perturbed variants per forward pass (one encoder + the fusion layer on this many at once).
FORWARD_BATCH = 16
#: Units compared by the top-k overlap.
TOP_K = 5


def input_states(context: SampleContext) -> tuple[torch.Tensor, torch.Tensor]:
    """The encoders' last hidden states of the unperturbed input (batch of one each).

    Taken from the attention pass (``context.shared["encoder_states"]`` of ``[input, baseline]``)
    when it ran, else computed.
    """
    states = context.shared.get("encoder_states")
    if states is None:
        states = encoder_states(context.model, prepare_inputs(context.model, context.encoded))
    text_hidden, image_hidden = states
    return text_hidden[:1], image_hidden[:1]


def text_forward(model: MMTD, image_hidden: torch.Tensor) -> Callable[..., torch.Tensor]:
    """``f(input_ids, token_type_ids, attention_mask)`` → spam log-odds per row, picture fixed.

    Only the text encoder runs; ``image_hidden`` (``[1, L_image, H]``, the picture's encoder
    states) is fused with every row.
    """
    def forward(input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        text = model.encode_text(input_ids, token_type_ids, attention_mask).last_hidden_state
        return spam_log_odds(model.fuse(text, image_hidden.expand(text.shape[0], -1, -1)))

    return forward


def image_forward(model: MMTD, text_hidden: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``f(pixel_values)`` → spam log-odds per row, text fixed (only the picture encoder runs)."""
    def forward(pixel_values: torch.Tensor) -> torch.Tensor:
        image = model.encode_image(pixel_values).hidden_states[-1]
        return spam_log_odds(model.fuse(text_hidden.expand(image.shape[0], -1, -1), image))

    return forward


def sample_words(context: SampleContext, token_scores: Sequence[float]) -> list[dict[str, Any]] | None:
    """The sample's words as the report shows them (``merge_wordpieces`` of its real tokens).

    ``None`` without a preprocessor: words need the tokenizer's token strings.
    """
    if context.preprocessor is None:
        return None
    mask = context.encoded["attention_mask"][0]
    ids = context.encoded["input_ids"][0, : int(mask.sum())].tolist()
    tokens = context.preprocessor.tokenizer.convert_ids_to_tokens(ids)
    return merge_wordpieces(tokens, token_scores)


def word_occlusion(model: MMTD, inputs: Mapping[str, torch.Tensor], special_ids: Mapping[str, int],
                   words: Sequence[Mapping[str, Any]], image_hidden: torch.Tensor) -> list[float]:
    """Occlusion score of every word: its tokens set to ``[PAD]`` (the IG text baseline), one word at a time.

    Args:
        model: the MMTD.
        inputs: the prepared sample (:func:`reportgen.explain.baselines.prepare_inputs`).
        special_ids: ``{"cls", "sep", "pad"}``.
        words: ``merge_wordpieces`` output (``tokens``: the token indices of each word).
        image_hidden: the picture's encoder states (fixed).

    Returns:
        ``f(input) - f(input without the word)`` per word, in spam log-odds.
    """
    if not words:
        return []
    # Every token belongs to the feature of its word; tokens of no word ([CLS], [SEP], [PAD]) go with
    # word 0, which changes nothing, because their baseline id is their own id.
    mask = torch.zeros_like(inputs["input_ids"])
    for index, word in enumerate(words):
        mask[0, list(word["tokens"])] = index
    baseline = text_baseline_ids(inputs["input_ids"], inputs["attention_mask"], special_ids)
    ablation = FeatureAblation(text_forward(model, image_hidden))
    attributions = ablation.attribute(
        inputs["input_ids"], baselines=baseline, feature_mask=mask,
        additional_forward_args=(inputs["token_type_ids"], inputs["attention_mask"]),
        perturbations_per_eval=FORWARD_BATCH,
    )
    return [float(attributions[0, word["tokens"][0]]) for word in words]


def unchanged_patches(pixel_values: torch.Tensor, picture_baseline: torch.Tensor, patch: int) -> torch.Tensor:
    """``[rows, cols]`` booleans: patches whose every value already equals the fill (filling them changes nothing)."""
    same = (pixel_values == picture_baseline)[0].all(dim=0)  # [H, W]
    rows, cols = same.shape[0] // patch, same.shape[1] // patch
    return same[: rows * patch, : cols * patch].reshape(rows, patch, cols, patch).all(dim=3).all(dim=1)


def patch_occlusion(model: MMTD, inputs: Mapping[str, torch.Tensor], picture_baseline: torch.Tensor,
                    text_hidden: torch.Tensor) -> list[list[float]]:
    """Occlusion score of every picture patch (filled with ``picture_baseline``), as the patch grid.

    Captum's ``FeatureAblation`` with one feature per encoder patch — the same perturbations as
    ``Occlusion`` with a patch-sized window at patch stride — except that the patches that already
    equal the fill (a white margin under the white baseline) share one feature: filling them leaves
    the input bit for bit as it is, so their score is exactly 0 and costs one pass, not one each.

    Returns:
        ``f(input) - f(input with the patch filled)`` per patch, rows of the encoder's patch grid.
    """
    patch = int(model.config.image.patch_size)
    pixels = inputs["pixel_values"]
    unchanged = unchanged_patches(pixels, picture_baseline, patch)
    rows, cols = unchanged.shape
    ids = torch.zeros(rows * cols, dtype=torch.long)
    changing = (~unchanged).reshape(-1).cpu()
    ids[changing] = torch.arange(int(changing.sum()))
    ids[~changing] = int(changing.sum())  # one shared feature: nothing to perturb
    mask = torch.full(pixels.shape[-2:], int(changing.sum()), dtype=torch.long)  # pixels beyond the grid
    mask[: rows * patch, : cols * patch] = ids.view(rows, cols).repeat_interleave(patch, 0).repeat_interleave(patch, 1)
    attributions = FeatureAblation(image_forward(model, text_hidden)).attribute(
        pixels, baselines=picture_baseline, feature_mask=mask.view(1, 1, *mask.shape).to(pixels.device),
        perturbations_per_eval=FORWARD_BATCH,
    )
    scores = attributions[0, 0, ::patch, ::patch][:rows, :cols].double().cpu()
    scores[unchanged.cpu()] = 0.0  # f(x) - f(x): exactly 0, whatever float noise batching adds
    return scores.tolist()


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation (scipy), ``None`` when undefined (fewer than 3 units, a constant side)."""
    from scipy.stats import spearmanr

    if len(a) != len(b):
        raise ValueError(f"spearman: {len(a)} vs {len(b)} values")
    if len(a) < 3 or np.ptp(np.asarray(a, dtype=float)) == 0 or np.ptp(np.asarray(b, dtype=float)) == 0:
        return None
    return float(spearmanr(a, b).statistic)


def top_overlap(a: Sequence[float], b: Sequence[float], k: int = TOP_K) -> float | None:
    """Share of the ``k`` units with the largest ``|score|`` in ``a`` that are also among ``b``'s (ties by position)."""
    n = min(k, len(a))
    if n == 0 or not any(float(v) for v in a) or not any(float(v) for v in b):
        return None  # an all-zero side has no top units
    top = [set(sorted(range(len(s)), key=lambda i: (-abs(float(s[i])), i))[:n]) for s in (a, b)]
    return len(top[0] & top[1]) / n


def agreement(ig: Sequence[float], occlusion: Sequence[float]) -> dict[str, Any]:
    """``{"n", "spearman", "top5_overlap"}`` between IG and occlusion scores of the same units."""
    return {"n": len(ig), "spearman": spearman(ig, occlusion), "top5_overlap": top_overlap(ig, occlusion)}


def occlusion(context: SampleContext) -> dict[str, Any]:
    """The schema's ``occlusion`` block of one sample (after Integrated Gradients ran).

    Returns:
        ``word_scores`` (one per word, ``None`` without a preprocessor), ``image_scores`` (patch
        grid) and ``agreement`` with IG: ``text`` / ``image`` each ``{"n", "spearman",
        "top5_overlap"}`` (``text`` is ``None`` without words).
    """
    model = context.model
    inputs = prepare_inputs(model, context.encoded)
    text_hidden, image_hidden = input_states(context)
    words = sample_words(context, context.results["token_scores"])
    picture_baseline = baseline_inputs(inputs, context.special_ids, context.options)["pixel_values"]
    with inference_ready(model), torch.no_grad():
        word_scores = None if words is None else word_occlusion(model, inputs, context.special_ids, words,
                                                                 image_hidden)
        patch_scores = patch_occlusion(model, inputs, picture_baseline, text_hidden)
    ig_patches = [v for row in context.results["image_scores"] for v in row]
    return {
        "word_scores": word_scores,
        "image_scores": patch_scores,
        "agreement": {
            "text": None if words is None else agreement([w["score"] for w in words], word_scores or []),
            "image": agreement(ig_patches, [v for row in patch_scores for v in row]),
        },
    }


def describe(options: ExplainOptions) -> dict[str, Any]:
    """Occlusion's parameters for results.json ``methods``."""
    return {
        "implementation": "Captum FeatureAblation over words (feature mask: a word's WordPiece tokens) and over "
                          "picture patches (feature mask: the encoder's patch grid, as Occlusion with window = "
                          "stride = the patch; patches already equal to the fill score exactly 0 in one shared "
                          "pass)",
        "score": "f(input) - f(input with the unit occluded), in spam log-odds",
        "word_fill": "[PAD], the Integrated Gradients text baseline (positions and attention mask kept)",
        "patch_fill": f"the Integrated Gradients picture baseline ({options.image_baseline})",
        "forward_batch": FORWARD_BATCH,
        "agreement": f"Spearman rank correlation of the signed IG and occlusion scores; top-{TOP_K} overlap = "
                     f"share of the {TOP_K} units with the largest |IG score| that are also among the {TOP_K} "
                     "with the largest |occlusion score|",
    }


METHOD = Method(
    name="occlusion",
    title="Occlusion",
    produces=("occlusion",),
    explain=lambda context: {"occlusion": occlusion(context)},
    after=("integrated_gradients",),
    # A second opinion is part of "can these explanations be trusted?": --no-faithfulness trims it too.
    switch="faithfulness",
    describe=describe,
)
