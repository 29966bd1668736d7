"""GradientSHAP: an optional second opinion on Integrated Gradients (off by default: ``--method gradient_shap``).

Captum's ``GradientShap`` on the inputs Integrated Gradients attributes: the word embeddings of the
text (what ``LayerIntegratedGradients`` hooks on BERT's word-embedding layer) and the picture's
pixels. The patch-embedding layer IG hooks is linear in the pixels of its own patch, so summing the
pixel scores of a patch gives what IG's layer scores would be; word scores are the sums of their
WordPiece tokens' scores, as IG's. Scores are in spam log-odds: positive pushes toward spam.

GradientSHAP draws, per sample, a reference from a distribution of baselines and a random point on
the straight line from it to the input, and averages ``gradient x (input - reference)``. The
distribution chosen here: the report's own baseline (``[PAD]`` words, the IG picture baseline),
jittered with Gaussian noise only where the input differs from it, with a standard deviation of
``gshap_noise`` times the root-mean-square input-baseline difference of that modality. Why:

* The report's baseline is what IG, occlusion and the Shapley split call "no content"; a distribution
  of different e-mails (expected gradients) would explain a different question (why this e-mail and
  not a typical one) and needs a reference set the report does not have.
* Its expectation is IG averaged over baselines near the report's one: agreement with IG says how
  much IG's ranking of words and patches depends on the exact baseline point and on path sampling.
  It is not an independent method and is not presented as one.
* No noise where the input already equals the baseline ([CLS]/[SEP], white margins under the white
  baseline): those parts score exactly 0, as in IG and occlusion, and do not blur the rankings.
* Captum's own ``stdevs`` (noise on the *input*) stays 0: the explained point is the e-mail itself.

Each sample is one forward and backward pass of the whole model; ``gshap_samples`` of them are run
in batches sized like IG's path points (same memory budget). Seeded with :data:`SEED` (Captum draws
from NumPy's global generator, which is saved and restored), so results.json is reproducible.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch
from captum.attr import GradientShap

from reportgen.explain.baselines import baseline_inputs, inference_ready, prepare_inputs
from reportgen.explain.ig import auto_internal_batch_size
from reportgen.explain.occlusion import TOP_K, agreement, sample_words
from reportgen.explain.registry import Method, SampleContext
from reportgen.mmtd.model import MMTD, spam_log_odds
from reportgen.options import ExplainOptions

#: Seed of the baseline jitter, of Captum's baseline draws and of the points on the path.
SEED = 0


@contextlib.contextmanager
def seeded_numpy(seed: int) -> Iterator[None]:
    """NumPy's global generator seeded for the duration (Captum draws from it), then restored."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def jittered_baselines(inputs: torch.Tensor, baseline: torch.Tensor, count: int, noise: float,
                       generator: torch.Generator) -> torch.Tensor:
    """``count`` copies of ``baseline`` (batch of one) with Gaussian noise where ``inputs`` differs from it.

    The noise's standard deviation is ``noise`` times the root-mean-square of ``inputs - baseline`` over
    the values where they differ; where they are equal the copies equal the baseline exactly.
    """
    differs = inputs != baseline
    if noise == 0 or not bool(differs.any()):
        return baseline.expand(count, *baseline.shape[1:]).clone()
    spread = float((inputs - baseline)[differs].double().pow(2).mean().sqrt())
    draws = torch.randn((count, *baseline.shape[1:]), generator=generator, dtype=torch.float64)
    jitter = (draws * noise * spread).to(device=baseline.device, dtype=baseline.dtype)
    return baseline + jitter * differs.to(baseline.dtype)


def gradient_shap_scores(model: MMTD, inputs: Mapping[str, torch.Tensor], baseline: Mapping[str, torch.Tensor],
                         options: ExplainOptions) -> tuple[torch.Tensor, torch.Tensor]:
    """Captum ``GradientShap`` of the spam log-odds w.r.t. the word embeddings and the pixels.

    Args:
        model: the MMTD.
        inputs: the prepared sample (:func:`reportgen.explain.baselines.prepare_inputs`).
        baseline: the report's baseline sample (:func:`reportgen.explain.baselines.baseline_inputs`).
        options: ``gshap_samples``, ``gshap_noise`` and the memory knobs of IG.

    Returns:
        ``(token_scores, pixel_scores)``: ``[L]`` per token (summed over the embedding) and
        ``[C, H, W]`` per pixel value, each the mean over ``options.gshap_samples`` samples.
    """
    embeddings = model.text_encoder.bert.embeddings.word_embeddings
    n_samples = int(options.gshap_samples)
    generator = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        text_input, text_reference = embeddings(inputs["input_ids"]), embeddings(baseline["input_ids"])
    references = (jittered_baselines(text_input, text_reference, n_samples, options.gshap_noise, generator),
                  jittered_baselines(inputs["pixel_values"], baseline["pixel_values"], n_samples,
                                     options.gshap_noise, generator))

    def forward(word_embeddings: torch.Tensor, pixel_values: torch.Tensor, token_type_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        text = model.encode_text(None, token_type_ids, attention_mask, inputs_embeds=word_embeddings)
        image = model.encode_image(pixel_values).hidden_states[-1]
        return spam_log_odds(model.fuse(text.last_hidden_state, image))

    # Captum's GradientShap takes no batch size: run it on equal shares of the samples (as many per pass
    # as IG's path points fit the memory budget) and average, which is the mean over all samples.
    per_pass = auto_internal_batch_size(model, inputs, options, n_samples)
    n_passes = math.ceil(n_samples / per_pass)
    shares = [n_samples // n_passes + (1 if i < n_samples % n_passes else 0) for i in range(n_passes)]
    explainer = GradientShap(forward)
    text_total = torch.zeros_like(text_input[0], dtype=torch.float64)
    pixel_total = torch.zeros_like(inputs["pixel_values"][0], dtype=torch.float64)
    with seeded_numpy(SEED):
        for share in shares:
            text_attr, pixel_attr = explainer.attribute(
                (text_input, inputs["pixel_values"]), baselines=references, n_samples=share, stdevs=0.0,
                additional_forward_args=(inputs["token_type_ids"], inputs["attention_mask"]),
            )
            text_total += text_attr[0].double() * share
            pixel_total += pixel_attr[0].double() * share
    return (text_total / n_samples).sum(dim=-1), pixel_total / n_samples


def patch_grid(pixel_scores: torch.Tensor, patch: int) -> list[list[float]]:
    """``[C, H, W]`` pixel scores → rows of the encoder's patch grid, each patch the sum of its pixels."""
    rows, cols = (int(s) // patch for s in pixel_scores.shape[-2:])
    window = pixel_scores[:, : rows * patch, : cols * patch]
    return window.reshape(-1, rows, patch, cols, patch).sum(dim=(0, 2, 4)).cpu().tolist()


def gradient_shap(context: SampleContext) -> dict[str, Any]:
    """The schema's ``gradient_shap`` block of one sample (after Integrated Gradients ran).

    Returns:
        ``word_scores`` (one per word, ``None`` without a preprocessor), ``image_scores`` (patch grid),
        ``delta`` (sum of every score minus IG's ``f(input) - f(baseline)``, in log-odds) and
        ``agreement`` with IG: ``text`` / ``image`` each ``{"n", "spearman", "top5_overlap"}``.
    """
    model = context.model
    inputs = prepare_inputs(model, context.encoded)
    baseline = baseline_inputs(inputs, context.special_ids, context.options)
    with inference_ready(model):
        token_scores, pixel_scores = gradient_shap_scores(model, inputs, baseline, context.options)
    real = inputs["attention_mask"][0].bool()
    tokens = token_scores[real.to(token_scores.device)].cpu().tolist()
    image_scores = patch_grid(pixel_scores, int(model.config.image.patch_size))
    words = sample_words(context, tokens)
    ig_words = sample_words(context, context.results["token_scores"])
    ig = context.results["integrated_gradients"]
    total = sum(tokens) + sum(v for row in image_scores for v in row)
    ig_patches = [v for row in context.results["image_scores"] for v in row]
    return {
        "word_scores": None if words is None else [w["score"] for w in words],
        "image_scores": image_scores,
        "delta": total - (ig["f_input"] - ig["f_baseline"]),
        "agreement": {
            "text": None if words is None or ig_words is None else agreement(
                [w["score"] for w in ig_words], [w["score"] for w in words]),
            "image": agreement(ig_patches, [v for row in image_scores for v in row]),
        },
    }


def describe(options: ExplainOptions) -> dict[str, Any]:
    """GradientSHAP's parameters for results.json ``methods``."""
    return {
        "implementation": "Captum GradientShap over the word embeddings and the picture's pixels (the inputs of "
                          "the layers Integrated Gradients attributes); word score = sum of its WordPiece tokens, "
                          "patch score = sum of its pixels",
        "n_samples": int(options.gshap_samples),
        "baselines": "the Integrated Gradients baseline ([PAD] words, the "
                     f"{options.image_baseline} picture) with Gaussian noise where the input differs from it, "
                     f"standard deviation {options.gshap_noise} x the root-mean-square input-baseline "
                     "difference per modality; parts equal to the baseline (e.g. [CLS]/[SEP], blank margins) "
                     "score exactly 0",
        "why_these_baselines": "its expectation is Integrated Gradients averaged over baselines near the report's "
                               "one, so agreement says how much the IG ranking depends on the exact baseline and "
                               "on path sampling; it is not an independent method",
        "input_noise": "none (Captum stdevs = 0): the e-mail itself is explained",
        "seed": SEED,
        "delta": "sum of all scores minus Integrated Gradients' f(input) - f(baseline), in log-odds (a Monte "
                 "Carlo estimate: shrinks as the samples grow)",
        "agreement": f"Spearman rank correlation of the signed IG and GradientSHAP scores; top-{TOP_K} overlap = "
                     f"share of the {TOP_K} units with the largest |IG score| that are also among the {TOP_K} "
                     "with the largest |GradientSHAP score|",
        "cost": "one forward and backward pass of the whole model per sample",
    }


METHOD = Method(
    name="gradient_shap",
    title="GradientSHAP",
    produces=("gradient_shap",),
    explain=lambda context: {"gradient_shap": gradient_shap(context)},
    after=("integrated_gradients",),
    default=False,  # as costly as Integrated Gradients itself: only with --method gradient_shap
    describe=describe,
)
