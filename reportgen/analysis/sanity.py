"""Model-randomisation sanity check (Adebayo et al. 2018): do the explanations depend on the model?

The weights are randomised from the top of the network down, cumulatively, until nothing learnt is
left — the classifier; then also the pooler; the fusion layer; the top layer of both encoders; the top
half of each encoder's layers; all their layers; and last their embeddings (words, positions, token
types and their LayerNorm; picture patches, [CLS] token and positions) — and the same explanation is
computed again on a few explained samples after each stage. A stage that would randomise nothing new
on this model (the top half of a 2-layer encoder is its top layer) is skipped. An explanation that
reflects what the model learnt must change: Spearman's rank correlation between the original and the
randomised word (and patch) attributions should fall toward 0. One that stays the same (for instance
one that only reflects the input, like its embedding norms) fails — and so does one that only turns
upside down: once the classifier is redrawn, which way counts as "spam" is a coin toss, so a map whose
sign flipped is still the same map (an explanation that is the picture's ink times the sign of the
random head would otherwise pass every other time). The verdict is on the size of the correlation at
the last stage, where every weight the score depends on is random, per modality.

Randomisation happens on a deep copy of the model; the user's model and weights are never touched.
Each parameter tensor is redrawn once, seeded, from a Gaussian with that tensor's own mean and
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
    f"passed when, with every stage randomised (every weight the score depends on is then random), Spearman's rank "
    f"correlation between the original and the randomised signed attributions is below {PASS_LIMIT} in size for "
    f"every checked sample, for the words and for the picture patches (judged separately); a ranking turned upside "
    f"down counts as unchanged, because once the classifier is redrawn which way counts as spam is arbitrary; a "
    f"sample's words (patches) are compared only when their original attributions sum to at least {SIGNAL_FLOOR} "
    f"log-odds in absolute value; picture patches are compared among the non-blank ones (a blank patch scores 0 "
    f"under any model)"
)


def _encoder_layers(model: MMTD) -> tuple[list[torch.nn.Module], list[torch.nn.Module]]:
    """The text and the picture encoder's layers, bottom first."""
    return list(model.text_encoder.bert.encoder.layer), list(model.image_encoder.beit.layers)


def _top_layers(model: MMTD, share: Callable[[int], int]) -> list[torch.nn.Module]:
    """The top ``share(depth)`` layers of each encoder, each by its own depth (encoders may differ in depth)."""
    return [layer for layers in _encoder_layers(model) for layer in layers[len(layers) - share(len(layers)):]]


def _all_layers(model: MMTD) -> list[torch.nn.Module]:
    # A picture encoder configured with one relative position bias shared by all its layers keeps it outside
    # the layers; it belongs to them.
    shared = getattr(model.image_encoder.beit, "shared_position_bias", None)
    return _top_layers(model, lambda depth: depth) + ([shared] if shared is not None else [])


def _embeddings(model: MMTD) -> list[torch.nn.Module]:
    # Word, position and token-type embeddings with their LayerNorm; patch embeddings, [CLS] token and
    # position embeddings (and the pre-training mask token, which a forward pass does not use).
    return [model.text_encoder.bert.embeddings, model.image_encoder.beit.embeddings]


#: The cascade, top first: (stage name, the modules randomised once this stage is reached). Stages are
#: cumulative: each randomises its modules on top of what the ones before did.
STAGES: tuple[tuple[str, Callable[[MMTD], list[torch.nn.Module]]], ...] = (
    ("classifier", lambda m: [m.classifier]),
    ("pooler", lambda m: [m.pooler]),
    ("fusion layer", lambda m: [m.multi_modality_transformer_layer]),
    ("top encoder layer", lambda m: _top_layers(m, lambda depth: 1)),
    ("top half of the encoder layers", lambda m: _top_layers(m, lambda depth: max(1, depth // 2))),
    ("all encoder layers", _all_layers),
    ("embeddings", _embeddings),
)


def cascade(model: MMTD) -> list[tuple[int, str, list[torch.nn.Parameter]]]:
    """This model's stages, top first: ``(position in STAGES, name, the parameters the stage adds)``.

    A stage whose modules were all randomised by the stages before it (the top half of a 2-layer
    encoder is its top layer) adds nothing and is left out, so no stage repeats another.
    """
    done: set[int] = set()
    stages = []
    for position, (name, select) in enumerate(STAGES):
        new = {id(p): p for module in select(model) for p in module.parameters() if id(p) not in done}
        if new:
            done.update(new)
            stages.append((position, name, list(new.values())))
    return stages


def stage_names(model: MMTD) -> list[str]:
    """The names of ``model``'s stages (see :func:`cascade`)."""
    return [name for _, name, _ in cascade(model)]


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
    redraw([p for module in modules for p in module.parameters()], seed)


def redraw(parameters: Sequence[torch.nn.Parameter], seed: int) -> None:
    """Redraw each of ``parameters`` in place from a Gaussian with that tensor's own mean and standard deviation.

    The noise is drawn on the CPU from one seeded generator (the same numbers on any device) in the
    parameter's own dtype: a 119,547 × 768 word-embedding table then needs one float32 copy, not float64 ones.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in parameters:
            spread, centre = (float(v) for v in torch.std_mean(parameter.detach().double(), correction=0))
            noise = torch.empty(parameter.shape, dtype=parameter.dtype)
            parameter.copy_(noise.normal_(centre, spread, generator=generator) if spread > 0 else noise.fill_(centre))


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

    for position, name, parameters in tqdm(cascade(randomised), desc="sanity check", unit="stage",
                                           disable=not progress):
        redraw(parameters, SEED + position)
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


#: What each stage adds, for the methods appendix.
STAGE_MODULES = (
    "classifier; pooler; fusion transformer layer; the top layer of both encoders; the top half of each encoder's "
    "layers (by its own depth); all encoder layers; both encoders' embeddings (word, position and token-type "
    "embeddings with their LayerNorm; patch embeddings, [CLS] token and position embeddings) — cumulative, top "
    "first; a stage that would randomise nothing new on this model (the top half of a 2-layer encoder is its top "
    "layer) is skipped"
)


def describe(options: ExplainOptions, model: MMTD | None = None) -> dict[str, Any]:
    """The check's parameters for results.json ``methods``.

    Args:
        options: the explanation options (IG nodes, number of checked samples).
        model: the model checked; its own stages are listed (without it, every stage a model can have).
    """
    names = stage_names(model) if model is not None else [name for name, _ in STAGES]
    steps = min(int(options.ig_steps), SANITY_IG_STEPS)
    samples = int(options.sanity_samples)
    return {
        "reference": "Adebayo et al. 2018, cascading model randomisation",
        "stages": names,
        "n_stages": len(names),
        "stage_modules": STAGE_MODULES,
        "randomisation": "each parameter tensor redrawn once from a Gaussian with its own mean and standard "
                         f"deviation, seed {SEED} + the stage's position in the full cascade, on a deep copy of the "
                         "model; after the last stage every weight the score depends on is random",
        "cost": f"{len(names) + 1} Integrated Gradients runs of {steps} nodes per checked sample (the original and "
                "one per stage)",
        "explanation": f"Integrated Gradients as in the report with {steps} {options.ig_method} nodes, original and "
                       "randomised",
        "samples": f"the {count(samples, 'explained sample')} with the largest total |IG "
                   "attribution| "
                   "(attributions that are all near zero would only rank noise)",
        "comparison": "Spearman rank correlation of the signed word scores and of the signed patch scores; "
                      "judged by its size (a flipped sign is no change)",
        "rule": RULE,
        "pass_limit": PASS_LIMIT,
        "signal_floor": SIGNAL_FLOOR,
    }
