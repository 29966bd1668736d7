"""Model-randomisation sanity check (Adebayo et al. 2018): do the explanations depend on the model?

The weights are randomised from the top of the network down, cumulatively — the classifier, then
also the pooler, the fusion layer, the top layer of both encoders, their next layer — and the same
explanation is computed again on a few explained samples after each stage. An explanation that
reflects what the model learnt must change: Spearman's rank correlation between the original and
the randomised word (and patch) attributions should fall toward 0. One that stays the same (for
instance one that only reflects the input, like its embedding norms) fails — and so does one that
only turns upside down: once the classifier is redrawn, which way counts as "spam" is a coin toss,
so a map whose sign flipped is still the same map (an explanation that is the picture's ink times
the sign of the random head would otherwise pass every other time). The verdict is therefore on the
size of the correlation, per modality.

Randomisation happens on a deep copy of the model; the user's model and weights are never touched.
Each parameter tensor of a stage is redrawn, seeded, from a Gaussian with that tensor's own mean and
standard deviation, so activations keep their scale but everything learnt is gone (a LayerNorm
scale of ones stays ones: its standard deviation is 0).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import mean
from typing import Any

import torch

from reportgen.explain.occlusion import spearman
from reportgen.mmtd.model import MMTD
from reportgen.options import ExplainOptions
from reportgen.names import count

#: Integrated Gradients nodes of the re-explanations: rankings need fewer than completeness does.
SANITY_IG_STEPS = 8
#: The check passes when, with every stage randomised, |Spearman| of every checked sample is below this.
PASS_LIMIT = 0.5
#: Seed of the randomisation (stage ``i`` uses ``SEED + i``).
SEED = 0
#: A sample's words (or patches) are compared only when their original attributions add up to at least
#: this many log-odds in size: the ranking of attributions that are all noise is not an explanation.
SIGNAL_FLOOR = 0.01

RULE = (
    f"passed when, with every stage randomised, Spearman's rank correlation between the original and the randomised "
    f"signed attributions is below {PASS_LIMIT} in size for every checked sample, for the words and for the picture "
    f"patches (judged separately); a ranking turned upside down counts as unchanged, because once the classifier is "
    f"redrawn which way counts as spam is arbitrary; a sample's words (patches) are compared only when their original "
    f"attributions sum to at least {SIGNAL_FLOOR} log-odds in absolute value; picture patches are compared among the "
    f"non-blank ones (a blank patch scores 0 under any model)"
)


def _top_layers(model: MMTD, depth: int) -> list[torch.nn.Module]:
    text_layers = model.text_encoder.bert.encoder.layer
    image_layers = model.image_encoder.beit.layers
    return [text_layers[-depth], image_layers[-depth]]


#: The cascade, top first: (stage name, the modules that stage adds).
STAGES: tuple[tuple[str, Callable[[MMTD], list[torch.nn.Module]]], ...] = (
    ("classifier", lambda m: [m.classifier]),
    ("pooler", lambda m: [m.pooler]),
    ("fusion layer", lambda m: [m.multi_modality_transformer_layer]),
    ("top encoder layer", lambda m: _top_layers(m, 1)),
    ("second encoder layer", lambda m: _top_layers(m, 2)),
)


@dataclass
class SanityItem:
    """One explained sample to re-explain.

    Attributes:
        encoded: the sample as ``Preprocessor.encode`` made it (batch of one).
        words: token indices per word (``tokens`` of the sample's ``words``), to sum token scores.
        patches: indices (into the flattened patch grid) of the patches to compare; ``None`` = all.
            Reports pass the non-blank patches: a patch equal to the picture baseline gets an
            Integrated Gradients score of 0 from *any* model (its input does not change along the
            path), so blank patches tie at 0 in both rankings and would make any two explanations
            look alike — or, with signs flipped, look opposite.
    """

    encoded: Mapping[str, torch.Tensor]
    words: Sequence[Sequence[int]]
    patches: Sequence[int] | None = None


#: ``explain(model, encoded) -> (token scores over the real tokens, patch scores flattened)``.
Explainer = Callable[[MMTD, Mapping[str, torch.Tensor]], tuple[Sequence[float], Sequence[float]]]


def ig_explainer(special_ids: Mapping[str, int], options: ExplainOptions) -> Explainer:
    """The report's word and patch scores, re-run through the method registry (Integrated Gradients with
    the report's baselines and rule) with at most :data:`SANITY_IG_STEPS` nodes."""
    steps = min(int(options.ig_steps), SANITY_IG_STEPS)
    # A fixed node count: rankings are compared, not completeness, and a randomised model that converges
    # badly must not send the adaptive step doubling up to --ig-max-steps.
    options = replace(options, ig_steps=steps, ig_max_steps=steps, record_path=False)

    def explain(model: MMTD, encoded: Mapping[str, torch.Tensor]) -> tuple[list[float], list[float]]:
        from reportgen.explain import registry  # looked up per call: what made the report is what is checked

        result = registry.explain_sample(model, encoded, special_ids, options, ("integrated_gradients",))
        return result["token_scores"], [v for row in result["image_scores"] for v in row]

    return explain


def randomise(modules: Sequence[torch.nn.Module], seed: int) -> None:
    """Redraw every parameter of ``modules`` from a Gaussian with its own mean and standard deviation."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in modules:
            for parameter in module.parameters():
                values = parameter.detach().double()
                spread = float(values.std(correction=0)) if values.numel() > 1 else 0.0
                noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float64)
                parameter.copy_((noise * spread + float(values.mean())).to(parameter.dtype))


def _word_scores(token_scores: Sequence[float], words: Sequence[Sequence[int]]) -> list[float]:
    return [sum(float(token_scores[i]) for i in tokens) for tokens in words]


def _signal(scores: Sequence[float]) -> bool:
    return sum(abs(float(v)) for v in scores) >= SIGNAL_FLOOR


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return mean(known) if known else None


def randomisation_check(model: MMTD, items: Sequence[SanityItem], explain: Explainer, *,
                        progress: bool = False) -> dict[str, Any]:
    """Cascading model randomisation on a copy of ``model``; the schema's ``aggregate.sanity``.

    Args:
        model: the MMTD (not modified).
        items: the samples to re-explain.
        explain: the explanation under test (:func:`ig_explainer` in reports; anything in tests).
        progress: show a tqdm bar over the stages.

    Returns:
        ``randomisation``: per stage ``{"stage", "text_spearman", "image_spearman", "per_sample"}``:
        the mean over the samples of Spearman's correlation between the original and the
        randomised signed word / patch attributions (``None`` when no sample had 3 units with
        distinct scores and attributions above :data:`SIGNAL_FLOOR`) and the values per sample;
        ``verdicts`` ``{"text", "image"}`` (see :data:`RULE`; ``None`` where nothing could be
        compared), ``passed`` (every verdict that exists passed; ``None`` when there is none),
        ``rule`` and ``n_samples``.
    """
    originals = [explain(model, item.encoded) for item in items]
    original_words = [_word_scores(tokens, item.words) for (tokens, _), item in zip(originals, items)]
    randomised = copy.deepcopy(model)  # the user's model keeps its weights
    stages = []
    from tqdm.auto import tqdm

    for index, (name, select) in enumerate(tqdm(STAGES, desc="sanity check", unit="stage", disable=not progress)):
        randomise(select(randomised), SEED + index)
        text_rho, image_rho = [], []
        for item, (_, patches), words in zip(items, originals, original_words):
            tokens_r, patches_r = explain(randomised, item.encoded)
            text_rho.append(spearman(words, _word_scores(tokens_r, item.words)) if _signal(words) else None)
            if item.patches is not None:
                patches, patches_r = [patches[i] for i in item.patches], [patches_r[i] for i in item.patches]
            image_rho.append(spearman(patches, patches_r) if _signal(patches) else None)
        stages.append({
            "stage": name,
            "text_spearman": _mean(text_rho),
            "image_spearman": _mean(image_rho),
            "per_sample": {"text": text_rho, "image": image_rho},
        })
    del randomised
    last = stages[-1]["per_sample"]
    verdicts = {modality: _verdict(last[modality]) for modality in ("text", "image")}
    judged = [v for v in verdicts.values() if v is not None]
    return {
        "randomisation": stages,
        "passed": all(judged) if judged else None,
        "verdicts": verdicts,
        "rule": RULE,
        "n_samples": len(items),
    }


def _verdict(correlations: Sequence[float | None]) -> bool | None:
    """One modality's verdict on the last stage's correlations (``None``: no sample could be compared)."""
    known = [abs(rho) for rho in correlations if rho is not None]
    return all(rho < PASS_LIMIT for rho in known) if known else None


def describe(options: ExplainOptions) -> dict[str, Any]:
    """The check's parameters for results.json ``methods``."""
    return {
        "reference": "Adebayo et al. 2018, cascading model randomisation",
        "stages": [name for name, _ in STAGES],
        "stage_modules": "classifier; pooler; fusion transformer layer; the last layer of both encoders; their "
                         "second-to-last layer (cumulative, top first)",
        "randomisation": "each parameter tensor redrawn from a Gaussian with its own mean and standard deviation, "
                         f"seed {SEED} + stage index, on a deep copy of the model",
        "explanation": f"Integrated Gradients as in the report with {min(int(options.ig_steps), SANITY_IG_STEPS)} "
                       f"{options.ig_method} nodes, original and randomised",
        "samples": f"the {count(int(options.sanity_samples), 'explained sample')} with the largest total |IG "
                   "attribution| "
                   "(attributions that are all near zero would only rank noise)",
        "comparison": "Spearman rank correlation of the signed word scores and of the signed patch scores; "
                      "judged by its size (a flipped sign is no change)",
        "rule": RULE,
        "pass_limit": PASS_LIMIT,
        "signal_floor": SIGNAL_FLOOR,
    }
