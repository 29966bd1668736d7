"""Faithfulness of the attributions: deletion and insertion curves against a random order.

ERASER's comprehensiveness and sufficiency (DeYoung et al. 2020) and AOPC (Samek et al. 2017),
for words and picture patches separately. Units are ranked by their Integrated Gradients score
*toward the predicted class* (the spam log-odds score for a spam prediction, its negative for ham).
For each fraction ``k`` of :data:`FRACTIONS`:

* **deletion** ``[k]`` = how much the predicted class's log-odds drop when the top ``k`` of the
  units are removed: ``s·(f(full) − f(full without them))`` with ``s = ±1`` the predicted class's
  sign. Faithful attributions make this large (comprehensiveness).
* **insertion** ``[k]`` = how much they rise when only those units are put back into an input
  that has none: ``s·(f(only them) − f(none))``. Faithful attributions make this large too
  (sufficiency, measured from the empty side).

The other modality stays as it is. Both are compared with the same numbers of units taken in a
seeded random order (mean of :data:`RANDOM_DRAWS` draws); ``aopc`` is the mean deletion over the
fractions (AOPC), ``aopc_random`` the same for the random order. Units with equal scores are ordered
by each random order in turn and the ranked curves averaged (:func:`rankings`): a tie never favours
the ranking, and an attribution that ranks nothing scores exactly as random removal. The per-sample ``check``
(:data:`RULE`) asks the report's question: does removing the top 10 % move the prediction more
than removing a random 10 %? It tests what the explanation claims: where it finds no evidence *for* the
predicted class in a modality but does find evidence against it (a ham decision whose picture only
pushes toward spam), removing its "top 10 % for the decision" — units scored about 0 — would test
nothing and be called a failure of an explanation that was right; the check then removes the top
10 % toward the other class and expects the predicted class's log-odds to rise (``direction``
``"against"``, see :func:`check_direction`).

* **Words** are removed from the *text*, which is then tokenised again (so WordPiece merges what
  is left honestly); a removed word whose neighbours on both sides are not blank leaves one space,
  so two neighbours never merge into a new word. Only the part of the text the model saw (up to the
  truncation) is used, so a removal never pulls truncated words in. "None" is the empty text.
* **Patches** are filled with the Integrated Gradients picture baseline. Units are the
  *non-blank* patches: a patch is blank when none of its pixels differs from the baseline fill by
  more than :data:`BLANK_LEVELS` grey levels (of 255) in any channel — removing it would change
  nothing, and counting it would make random removal look weak. "None" is the picture with every
  non-blank patch filled.

Each variant runs only the perturbed modality's encoder, batched, fused with the other encoder's
states of the input (:func:`reportgen.explain.occlusion.text_forward` / ``image_forward``);
identical variants are evaluated once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from statistics import mean
from typing import Any

import numpy as np
import torch

from reportgen.explain.baselines import baseline_inputs, inference_ready, prepare_inputs
from reportgen.explain.occlusion import FORWARD_BATCH, image_forward, input_states, sample_words, text_forward
from reportgen.explain.registry import Method, SampleContext
from reportgen.mmtd.model import MMTD
from reportgen.mmtd.preprocessing import Preprocessor
from reportgen.options import ExplainOptions

#: Shares of the units removed (deletion) or kept (insertion).
FRACTIONS = (0.05, 0.10, 0.20, 0.40)
#: The fraction the report's summary quotes (top 10 % vs random 10 %).
HEADLINE_FRACTION = 0.10
#: Random orders averaged for the comparison curves.
RANDOM_DRAWS = 10
#: Seed of the random orders (the same for every sample, so a report is reproducible).
SEED = 0
#: A patch is blank when no pixel differs from the baseline fill by more than this many grey levels.
BLANK_LEVELS = 2
#: Log-odds changes below this are negligible (the report's floor for IG's completeness gap too).
NEGLIGIBLE = 0.01

RULE = (
    f"per sample and modality: the check passes when removing the top {HEADLINE_FRACTION:.0%} of the units by "
    f"attribution toward the predicted class lowers the predicted class's log-odds by more than {NEGLIGIBLE} and "
    f"by more than removing {HEADLINE_FRACTION:.0%} in random order (mean of {RANDOM_DRAWS} draws) plus "
    f"{NEGLIGIBLE}; it has no verdict when the random removals of {', '.join(f'{k:.0%}' for k in FRACTIONS)} "
    f"change them by less than {NEGLIGIBLE} on average in size: the modality does not carry the decision, or its "
    f"evidence is repeated enough to keep the model saturated. When the explanation names no evidence for the "
    f"predicted class in a modality (its top {HEADLINE_FRACTION:.0%} toward it add up to less than {NEGLIGIBLE} "
    f"log-odds) but does name evidence against it, the check tests that claim instead: removing the top "
    f"{HEADLINE_FRACTION:.0%} of the units by attribution toward the other class must raise the predicted class's "
    f"log-odds by more than {NEGLIGIBLE} and by more than removing {HEADLINE_FRACTION:.0%} in random order raises "
    f"them, plus {NEGLIGIBLE}"
)
#: The check's two directions: the top units push toward the predicted class ("for") or toward the other one.
DIRECTIONS = ("for", "against")


def check(deletion: float, random_deletion: float, random_movement: float, direction: str = "for") -> bool | None:
    """The per-sample verdict of :data:`RULE`: ``True`` passed, ``False`` failed, ``None`` no verdict.

    Args:
        deletion: drop of the predicted class's log-odds for the top :data:`HEADLINE_FRACTION` of the
            units (ranked toward the predicted class for ``"for"``, toward the other class for ``"against"``).
        random_deletion: mean drop for as many random units.
        random_movement: mean ``|drop|`` over every random removal (all draws and fractions).
        direction: ``"for"``: the removed units are the explanation's evidence for the predicted class,
            so their removal must lower its log-odds; ``"against"``: they are its evidence against it,
            so their removal must raise them (a negative drop).

    Whether there is a verdict does not depend on the ranking under test (a wrong ranking must not
    escape into "no verdict" by removing nothing important): it asks whether removing units moves
    the decision at all. A saturated model may not move when random 5-40 % of the units go, and the
    check then has nothing to say. Sizes, not signed means, decide: random removals that push both
    ways would cancel out in a mean.
    """
    if random_movement < NEGLIGIBLE:
        return None
    claimed = 1.0 if direction == "for" else -1.0  # the way the explanation says removal moves the log-odds
    return claimed * deletion > NEGLIGIBLE and claimed * deletion > claimed * random_deletion + NEGLIGIBLE


def check_direction(scores: Sequence[float], sign: int, count: int, tie_breaks: Sequence[Sequence[int]]) -> str:
    """Which of the explanation's claims the check tests: ``"for"`` or ``"against"`` (see :data:`RULE`).

    ``"against"`` only when the top ``count`` units toward the predicted class (sign ``sign``) carry less
    than :data:`NEGLIGIBLE` toward it while the top ``count`` toward the other class carry at least that
    much: then the explanation's claim is "this modality only pushes against the decision", and removing
    its "top" units for the decision (scores of about 0) would test nothing. A wrong ranking cannot escape
    this way: a reversed one tested "against" removes the true evidence for the decision, which lowers the
    log-odds instead of raising them, and fails.
    """
    def strongest(direction_sign: int) -> float:
        orders = rankings(scores, direction_sign, tie_breaks)
        return float(np.mean([sum(direction_sign * float(scores[i]) for i in order[:count]) for order in orders]))

    return "against" if strongest(sign) < NEGLIGIBLE <= strongest(-sign) else "for"


def unit_count(fraction: float, n: int) -> int:
    """Units in the top ``fraction`` of ``n``: rounded half up, at least 1 and at most ``n``."""
    return min(n, max(1, int(math.floor(fraction * n + 0.5))))


def rankings(scores: Sequence[float], sign: int, tie_breaks: Sequence[Sequence[int]]) -> list[list[int]]:
    """Unit indices by score toward the predicted class (``sign`` ±1), largest first, once per tie-break order.

    Units with equal scores are ordered as they come in each of ``tie_breaks`` (permutations of the
    units), so a tie is never settled in the ranking's favour (or against it) by the units' positions:
    without ties every order is the same ranking; a ranking that ties everything gives exactly the
    tie-break orders themselves.
    """
    keys = [-sign * float(v) for v in scores]
    orders = []
    for tie_break in tie_breaks:
        place = {unit: rank for rank, unit in enumerate(tie_break)}
        orders.append(sorted(range(len(keys)), key=lambda i: (keys[i], place[i])))
    return orders


def _curves(scores: Sequence[float], rng: np.random.Generator,
            evaluate: Callable[[list[frozenset[int]]], list[float]], sign: int) -> dict[str, Any]:
    """Deletion/insertion for the ranked and random orders; ``evaluate(removed sets) -> f`` does the passes.

    The ranked curves are the mean over the ranking with its ties broken by each random order in
    turn (:func:`rankings`): a set of tied units straddling a cut counts as their average, as random
    removal would, and an attribution that ranks nothing (all equal) gets exactly the random curve.
    """
    n = len(scores)
    counts = [unit_count(k, n) for k in FRACTIONS]
    draws = [[int(i) for i in rng.permutation(n)] for _ in range(RANDOM_DRAWS)]
    ranked = rankings(scores, sign, draws)
    at = FRACTIONS.index(HEADLINE_FRACTION)
    direction = check_direction(scores, sign, counts[at], draws)
    # "against": the check removes the top units toward the other class (extra passes at one fraction only).
    checked = ranked if direction == "for" else rankings(scores, -sign, draws)
    everything = frozenset(range(n))
    variants: list[frozenset[int]] = [frozenset(), everything]
    for sequence in [*ranked, *draws]:
        for count in counts:
            top = frozenset(sequence[:count])
            variants += [top, everything - top]
    variants += [frozenset(sequence[:counts[at]]) for sequence in checked]
    unique = list(dict.fromkeys(variants))  # ties absent, the ranked orders repeat one another: evaluated once
    values = dict(zip(unique, evaluate(unique)))
    f_full, f_none = values[frozenset()], values[everything]

    def deletion(sequence: Sequence[int]) -> list[float]:
        return [sign * (f_full - values[frozenset(sequence[:c])]) for c in counts]

    def insertion(sequence: Sequence[int]) -> list[float]:
        return [sign * (values[everything - frozenset(sequence[:c])] - f_none) for c in counts]

    random_deletions = np.array([deletion(s) for s in draws])
    random_deletion = random_deletions.mean(axis=0).tolist()
    movement = float(np.abs(random_deletions).mean())
    random_insertion = np.mean([insertion(s) for s in draws], axis=0).tolist()
    ranked_deletion = np.mean([deletion(s) for s in ranked], axis=0).tolist()
    ranked_insertion = np.mean([insertion(s) for s in ranked], axis=0).tolist()
    aopc, aopc_random = mean(ranked_deletion), mean(random_deletion)
    checked_deletion = float(np.mean([sign * (f_full - values[frozenset(s[:counts[at]])]) for s in checked]))
    return {
        "n_units": n,
        "fractions": list(FRACTIONS),
        "counts": counts,
        "deletion": ranked_deletion,
        "insertion": ranked_insertion,
        "random_deletion": random_deletion,
        "random_insertion": random_insertion,
        "aopc": aopc,
        "aopc_random": aopc_random,
        "f_full": f_full,
        "f_none": f_none,
        "check": {"fraction": HEADLINE_FRACTION, "direction": direction, "deletion": checked_deletion,
                  "random_deletion": random_deletion[at], "random_movement": movement,
                  "passed": check(checked_deletion, random_deletion[at], movement, direction)},
    }


def _in_batches(forward: Callable[..., torch.Tensor], *tensors: torch.Tensor) -> list[float]:
    out = []
    for start in range(0, tensors[0].shape[0], FORWARD_BATCH):
        out.append(forward(*(t[start:start + FORWARD_BATCH] for t in tensors)))
    return torch.cat(out).double().cpu().tolist()


# -- words ---------------------------------------------------------------------------------------
def word_spans(preprocessor: Preprocessor, text: str, input_ids: Sequence[int],
               words: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Character span ``(start, end)`` of every word in ``text``.

    Args:
        preprocessor: the preprocessor that tokenised ``text`` into ``input_ids``.
        text: the e-mail text.
        input_ids: the sample's real token ids (specials included).
        words: ``merge_wordpieces`` output for those tokens.

    Raises:
        RuntimeError: ``text`` does not tokenise to ``input_ids`` (the caller mixed up samples).
    """
    encoding = preprocessor.tokenizer(text, max_length=preprocessor.max_length, truncation=True,
                                      return_offsets_mapping=True)
    if list(encoding["input_ids"]) != list(input_ids):
        raise RuntimeError("faithfulness: the text does not tokenise to the explained tokens")
    offsets = encoding["offset_mapping"]
    return [(int(offsets[w["tokens"][0]][0]), int(offsets[w["tokens"][-1]][1])) for w in words]


def remove_words(text: str, spans: Sequence[tuple[int, int]], removed: frozenset[int]) -> str:
    """``text`` without the characters of the ``removed`` words.

    A removed word between two non-blank characters leaves one space, so its neighbours stay two
    words (``"a.b"`` without ``"."`` is ``"a b"``, not a new word ``"ab"``).
    """
    pieces, position = [], 0
    for index in sorted(removed, key=lambda i: spans[i]):
        start, end = spans[index]
        pieces.append(text[position:start])
        left = text[start - 1] if start > 0 else " "
        right = text[end] if end < len(text) else " "
        pieces.append("" if left.isspace() or right.isspace() else " ")
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def text_curves(model: MMTD, preprocessor: Preprocessor, text: str, input_ids: Sequence[int],
                words: Sequence[Mapping[str, Any]], image_hidden: torch.Tensor, sign: int,
                rng: np.random.Generator) -> dict[str, Any] | None:
    """Deletion/insertion curves over the words, ranked by their ``score`` (``None`` without words).

    Args:
        model: the MMTD.
        preprocessor: re-tokenises the edited texts.
        text: the e-mail text.
        input_ids: its real token ids (as explained).
        words: ``merge_wordpieces`` dicts whose ``score`` ranks them (any attribution, for tests).
        image_hidden: the picture's encoder states (fixed).
        sign: +1 when the prediction is spam, -1 for ham.
        rng: the random orders' generator.
    """
    if not words:
        return None
    spans = word_spans(preprocessor, text, input_ids, words)
    visible = text[: max(end for _, end in spans)]
    forward = text_forward(model, image_hidden)
    device = image_hidden.device

    def evaluate(variants: list[frozenset[int]]) -> list[float]:
        encoded = preprocessor.encode_texts([remove_words(visible, spans, removed) for removed in variants])
        tensors = [encoded[k].to(device) for k in ("input_ids", "token_type_ids", "attention_mask")]
        return _in_batches(forward, *tensors)

    return {"units": "words", **_curves([w["score"] for w in words], rng, evaluate, sign)}


# -- patches -------------------------------------------------------------------------------------
def blank_patches(pixel_values: torch.Tensor, picture_baseline: torch.Tensor, patch: int,
                  pixel_std: Sequence[float]) -> np.ndarray:
    """``[rows, cols]`` booleans: patches whose pixels all lie within :data:`BLANK_LEVELS` grey levels of the fill."""
    std = torch.tensor(pixel_std, dtype=pixel_values.dtype, device=pixel_values.device).view(1, -1, 1, 1)
    levels = ((pixel_values - picture_baseline).abs() * std * 255)[0].amax(dim=0)  # [H, W]
    rows, cols = levels.shape[0] // patch, levels.shape[1] // patch
    per_patch = levels[: rows * patch, : cols * patch].reshape(rows, patch, cols, patch).amax(dim=(1, 3))
    return (per_patch <= BLANK_LEVELS).cpu().numpy()


def image_curves(model: MMTD, pixel_values: torch.Tensor, picture_baseline: torch.Tensor,
                 patch_scores: Sequence[Sequence[float]], text_hidden: torch.Tensor, sign: int,
                 pixel_std: Sequence[float], rng: np.random.Generator) -> dict[str, Any] | None:
    """Deletion/insertion curves over the non-blank patches (``None`` when every patch is blank).

    Args:
        model: the MMTD.
        pixel_values: ``[1, 3, H, W]`` the input picture.
        picture_baseline: the fill, same shape.
        patch_scores: the patch grid that ranks them (any attribution, for tests).
        text_hidden: the text's encoder states (fixed).
        sign: +1 when the prediction is spam, -1 for ham.
        pixel_std: the image processor's normalisation (for grey levels).
        rng: the random orders' generator.
    """
    patch = int(model.config.image.patch_size)
    blank = blank_patches(pixel_values, picture_baseline, patch, pixel_std)
    rows, cols = blank.shape
    units = [i for i in range(rows * cols) if not blank.flat[i]]
    if not units:
        return None
    scores = np.asarray(patch_scores, dtype=float).reshape(-1)
    forward = image_forward(model, text_hidden)

    def evaluate(variants: list[frozenset[int]]) -> list[float]:
        masks = torch.zeros(len(variants), rows * cols, dtype=pixel_values.dtype, device=pixel_values.device)
        for row, removed in enumerate(variants):
            masks[row, [units[i] for i in removed]] = 1.0
        masks = masks.view(-1, 1, rows, cols).repeat_interleave(patch, 2).repeat_interleave(patch, 3)
        out = []
        for start in range(0, len(variants), FORWARD_BATCH):
            m = masks[start:start + FORWARD_BATCH]
            out.append(forward(pixel_values * (1 - m) + picture_baseline * m))
        return torch.cat(out).double().cpu().tolist()

    result = _curves([scores[u] for u in units], rng, evaluate, sign)
    return {"units": "patches", "n_blank": int(blank.sum()), **result}


# -- the method ----------------------------------------------------------------------------------
def faithfulness(context: SampleContext) -> dict[str, Any]:
    """The schema's ``faithfulness`` block of one sample (after Integrated Gradients ran).

    Returns:
        ``{"predicted", "text", "image"}``: ``text`` / ``image`` as :func:`text_curves` /
        :func:`image_curves` (``text`` is ``None`` without the sample's text and preprocessor).
    """
    model = context.model
    inputs = prepare_inputs(model, context.encoded)
    text_hidden, image_hidden = input_states(context)
    # The pipeline's prediction is argmax(logits): spam only when the spam log-odds are positive.
    sign = 1 if context.results["integrated_gradients"]["f_input"] > 0 else -1
    picture_baseline = baseline_inputs(inputs, context.special_ids, context.options)["pixel_values"]
    words = sample_words(context, context.results["token_scores"])
    real_ids = inputs["input_ids"][0, : int(inputs["attention_mask"][0].sum())].tolist()
    with inference_ready(model), torch.no_grad():
        text = None
        if words is not None and context.text is not None:
            text = text_curves(model, context.preprocessor, context.text, real_ids, words, image_hidden, sign,
                               np.random.default_rng(SEED))
        image = image_curves(model, inputs["pixel_values"], picture_baseline, context.results["image_scores"],
                             text_hidden, sign, context.options.pixel_std, np.random.default_rng(SEED))
    return {"predicted": "spam" if sign > 0 else "ham", "text": text, "image": image}


def summarise(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """results.json ``aggregate.faithfulness``: mean curves and how many samples pass, per modality.

    ``None`` when no sample has a faithfulness block. Per modality: ``n`` (samples with units),
    ``passed`` / ``failed`` (samples whose check passed / failed; the rest had no verdict), ``against``
    (of those with a verdict, the checks of evidence against the decision, see :data:`RULE`), mean
    ``deletion`` / ``random_deletion`` /
    ``insertion`` / ``random_insertion`` curves over those samples, mean ``aopc`` / ``aopc_random``
    and ``ratio`` = mean deletion / mean random deletion at the headline fraction (``None`` unless the
    random mean reaches :data:`NEGLIGIBLE`).
    """
    blocks = [s["faithfulness"] for s in samples if s.get("faithfulness")]
    if not blocks:
        return None
    summary: dict[str, Any] = {"fractions": list(FRACTIONS), "headline_fraction": HEADLINE_FRACTION, "rule": RULE}
    for modality in ("text", "image"):
        curves = [b[modality] for b in blocks if b.get(modality)]
        if not curves:
            summary[modality] = None
            continue
        means = {key: np.mean([c[key] for c in curves], axis=0).tolist()
                 for key in ("deletion", "random_deletion", "insertion", "random_insertion")}
        at = FRACTIONS.index(HEADLINE_FRACTION)
        random_at = means["random_deletion"][at]
        summary[modality] = {
            "n": len(curves),
            "passed": sum(c["check"]["passed"] is True for c in curves),
            "failed": sum(c["check"]["passed"] is False for c in curves),
            "against": sum(c["check"]["passed"] is not None and c["check"].get("direction") == "against"
                           for c in curves),
            **means,
            "aopc": mean(c["aopc"] for c in curves),
            "aopc_random": mean(c["aopc_random"] for c in curves),
            # A ratio to a random drop that is itself negligible would be a large number about nothing.
            "ratio": means["deletion"][at] / random_at if random_at >= NEGLIGIBLE else None,
        }
    return summary


def describe(options: ExplainOptions) -> dict[str, Any]:
    """The checks' parameters for results.json ``methods``."""
    return {
        "ranking": "Integrated Gradients score toward the predicted class; equal scores are ordered by each "
                   "random order in turn and the curves averaged",
        "fractions": list(FRACTIONS),
        "counts": "units per fraction: fraction x units, rounded half up, at least 1",
        "deletion": "drop of the predicted class's log-odds when the top units are removed (comprehensiveness)",
        "insertion": "rise of the predicted class's log-odds when only the top units are put back into an "
                     "input without any (sufficiency, from the empty side)",
        "aopc": "mean deletion over the fractions",
        "random_draws": RANDOM_DRAWS,
        "seed": SEED,
        "word_removal": "the words' characters are removed from the text the model saw (up to the truncation) "
                        "and the text is tokenised again; a removed word between two non-blank characters "
                        "leaves one space",
        "patch_removal": "the patch is filled with the Integrated Gradients picture baseline "
                         f"({options.image_baseline})",
        "blank_patch": f"every pixel within {BLANK_LEVELS} grey levels (of 255) of the baseline fill in every "
                       "channel",
        "other_modality": "unchanged (its encoder states of the input are reused)",
        "check": RULE,
        "forward_batch": FORWARD_BATCH,
    }


METHOD = Method(
    name="faithfulness",
    title="Faithfulness checks",
    produces=("faithfulness",),
    explain=lambda context: {"faithfulness": faithfulness(context)},
    after=("integrated_gradients",),
    switch="faithfulness",
    describe=describe,
)
