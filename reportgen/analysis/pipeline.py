"""The analysis pipeline: predictions and metrics for every selected row, explanations for samples.

``run_analysis`` turns loaded inputs (model, preprocessor, dataset) into one results dict that
validates against ``reportgen/schema/results.schema.json``. It is the only place that holds the
model; everything downstream (aggregates, report) reads the plain results.
"""

from __future__ import annotations

import base64
import io
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np

from reportgen.version import __version__
from reportgen.analysis.aggregate import aggregate, methods_description, outcome, prediction_claims
from reportgen.claims import IG_ABSOLUTE_DELTA_FLOOR, IG_RELATIVE_DELTA_LIMIT
from reportgen.options import AnalysisOptions
from reportgen.results.io import SCHEMA_VERSION, timestamp
from reportgen.analysis.sampling import SampleSelection, select_samples
from reportgen.explain.words import merge_wordpieces

if TYPE_CHECKING:
    from reportgen.inputs import Inputs
    from reportgen.mmtd.model import MMTD
    from reportgen.options import ExplainOptions

#: What every score in results.json explains (documented in results.json ``methods``).
EXPLAINED_QUANTITY = (
    "the spam log-odds logit_spam - logit_ham of the model's output: a positive score pushes toward spam, "
    "a negative one toward ham; attributions are in log-odds units"
)
#: Pictures embedded in results.json are downscaled to at most this width (keeps files small).
PICTURE_MAX_WIDTH = 800
#: Packages whose versions results.json records (they decide the numbers).
RECORDED_PACKAGES = ("torch", "transformers", "captum", "numpy", "pillow", "scikit-learn", "scipy", "pandas",
                     "py3langid")


def sample_selection(options: AnalysisOptions, dataset_selection: str = "all",
                     dataset_rows: Sequence[int] = ()) -> SampleSelection:
    """The sample selection.

    With the dataset chosen by ``--rows`` (``dataset_selection`` starting ``"rows:"``) and no
    selection criterion, every selected row that was not skipped (``dataset_rows``) is explained.
    """
    chosen = options.selection
    explicit = chosen.explain_rows
    no_criterion = not (chosen.samples or explicit or chosen.misclassified or chosen.least_confident
                        or chosen.most_confident)
    if no_criterion and dataset_selection.startswith("rows:"):
        # `--rows 3,17` alone means "these e-mails": explain every one of them, not a random draw.
        explicit = tuple(int(r) for r in dataset_rows)
    return SampleSelection(
        samples=chosen.samples,
        rows=tuple(explicit) if explicit else None,
        misclassified=chosen.misclassified,
        least_confident=chosen.least_confident,
        most_confident=chosen.most_confident,
        seed=options.seed,
    )


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _packages() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"reportgen": __version__}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def picture_data_uri(image: Any, max_width: int = PICTURE_MAX_WIDTH) -> str:
    """A PNG ``data:`` URI of a PIL picture, downscaled (aspect kept) to at most ``max_width`` pixels wide."""
    from PIL import Image

    picture = image.convert("RGB")
    if picture.width > max_width:
        height = max(1, round(picture.height * max_width / picture.width))
        picture = picture.resize((max_width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # PIL writes no timestamp into PNGs, so the bytes are reproducible.
    picture.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _prediction_records(frame: Any, languages: Sequence[str] | None = None,
                        text_missing: dict[int, bool] | None = None) -> list[dict[str, Any]]:
    """results.json ``predictions``: one record per row, with its Shapley split and leading source.

    ``text_missing`` maps a row to whether the CSV had no text there (the model read the stand-in).
    """
    import pandas as pd

    records = []
    for i, item in enumerate(frame.to_dict(orient="records")):
        label = item["label"]
        record = {
            "row": int(item["row"]),
            "label": None if pd.isna(label) else int(label),
            "prediction": int(item["prediction"]),
            "prob_ham": float(item["prob_ham"]),
            "prob_spam": float(item["prob_spam"]),
            "logit_ham": float(item["logit_ham"]),
            "logit_spam": float(item["logit_spam"]),
            "shapley": {"text": float(item["shapley_text"]), "image": float(item["shapley_image"]),
                        "f_none": float(item["f_none"]), "f_full": float(item["f_full"])},
        }
        record.update(prediction_claims(record))
        if text_missing is not None:
            record["text_missing"] = bool(text_missing[record["row"]])
        if languages is not None:
            record["language"] = languages[i]
        records.append(record)
    return records


def _explain_one(inputs: Inputs, index: int, prediction: dict[str, Any], reason: str,
                 explain_options: ExplainOptions) -> dict[str, Any]:
    """Explain one dataset row and assemble its results.json ``samples`` item."""
    dataset, preprocessor = inputs.dataset, inputs.preprocessor
    text = dataset.texts[index]
    image = dataset.load_image(index)
    encoded = {k: v.to(inputs.device) for k, v in preprocessor.encode([text], [image]).items()}
    from reportgen.explain.registry import explain_sample

    explanation = explain_sample(inputs.loaded.model, encoded, preprocessor.special_ids, explain_options,
                                 text=text, preprocessor=preprocessor)
    n_real = int(encoded["attention_mask"][0].sum())
    tokens = preprocessor.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0, :n_real].tolist())
    token_scores = [float(s) for s in explanation["token_scores"]]
    if len(token_scores) != len(tokens):
        # A contract break between attribution and analysis: a bug, not a user error.
        raise RuntimeError(f"row {prediction['row']}: {len(token_scores)} token scores for {len(tokens)} tokens")
    label = prediction["label"]
    sample = {
        "row": prediction["row"],
        "label": label,
        "prediction": prediction["prediction"],
        "outcome": outcome(label, prediction["prediction"]),
        "reason": reason,
        **({"language": prediction["language"]} if "language" in prediction else {}),
        "probabilities": {"ham": prediction["prob_ham"], "spam": prediction["prob_spam"]},
        "logits": {"ham": prediction["logit_ham"], "spam": prediction["logit_spam"]},
        "text": text,
        "text_missing": bool(dataset.text_missing[index]) if dataset.text_missing else False,
        "pic": str(dataset.pics[index]),
        "picture": picture_data_uri(image),
        "tokens": list(tokens),
        "token_scores": token_scores,
        "words": merge_wordpieces(tokens, token_scores),
        "image_scores": explanation["image_scores"],
        "integrated_gradients": explanation["integrated_gradients"],
        "attention": explanation["attention"],
        "modality": explanation["modality"],
    }
    # Every other registered method's blocks (occlusion, faithfulness, …) go in as they come.
    sample.update({key: value for key, value in explanation.items() if key not in sample})
    return sample


def _most_attributed(samples: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The ``n`` samples with the largest total |IG attribution|: the sanity check needs a ranking to compare,
    and attributions that are all near zero rank noise (ties: report order)."""
    def size(sample: dict[str, Any]) -> float:
        return sum(map(abs, sample["token_scores"])) + sum(abs(v) for row in sample["image_scores"] for v in row)

    return sorted(samples, key=lambda s: -size(s))[:n]


def _sanity(inputs: Inputs, samples: Sequence[dict[str, Any]], index_of: dict[int, int],
            explain_options: ExplainOptions, progress: bool) -> dict[str, Any]:
    """The model-randomisation check on the first explained samples (re-encoded: encoding is cheap)."""
    from reportgen.analysis.sanity import SanityItem, ig_explainer, randomisation_check
    from reportgen.explain.baselines import image_baseline
    from reportgen.explain.faithfulness import blank_patches

    patch = int(inputs.loaded.model.config.image.patch_size)
    items = []
    for sample in samples:
        index = index_of[sample["row"]]
        encoded = inputs.preprocessor.encode([inputs.dataset.texts[index]], [inputs.dataset.load_image(index)])
        pixels = encoded["pixel_values"]
        blank = blank_patches(pixels, image_baseline(pixels, explain_options), patch, explain_options.pixel_std)
        items.append(SanityItem({k: v.to(inputs.device) for k, v in encoded.items()},
                                [word["tokens"] for word in sample["words"]],
                                patches=[int(i) for i in np.flatnonzero(~blank.reshape(-1))]))
    explain = ig_explainer(inputs.preprocessor.special_ids, explain_options)
    return randomisation_check(inputs.loaded.model, items, explain, progress=progress)


def _methods(options: AnalysisOptions, selection: SampleSelection, model: MMTD) -> dict[str, Any]:
    from reportgen.analysis.sanity import describe as describe_sanity
    from reportgen.explain.registry import method_parameters

    description = methods_description(top_k=options.summary.top_k, min_count=options.summary.min_count)
    explain = options.explain
    return {
        "explained_quantity": EXPLAINED_QUANTITY,
        "integrated_gradients": {
            "implementation": "Captum LayerIntegratedGradients over the word-embedding layer and the image "
                              "patch-embedding layer in one joint pass",
            "method": explain.ig_method,
            "n_steps": explain.ig_steps,
            "max_steps": max(explain.ig_max_steps, explain.ig_steps),
            "adaptive": "steps start at n_steps and double while the completeness gap is too large, up to max_steps",
            "internal_batch_size": explain.internal_batch_size,
            "text_baseline": "[CLS] [PAD] ... [PAD] [SEP] with the real positions and attention mask",
            "image_baseline": explain.image_baseline,
            "relative_delta_limit": IG_RELATIVE_DELTA_LIMIT,
            "absolute_delta_floor": IG_ABSOLUTE_DELTA_FLOOR,
            "word_scores": "sum of the word's WordPiece token scores",
        },
        "attention": {
            "implementation": "eager attention for the explanation pass",
            "layer": explain.attention_layer,
            "head": "mean" if explain.attention_head is None else explain.attention_head,
        },
        "claims": description["claims"],
        "modality": description["modality"],
        "top_words": description["top_words"],
        "sample_selection": selection.describe(),
        **method_parameters(explain),
        **({"sanity": describe_sanity(explain, model)} if explain.sanity_samples else {}),
    }


def _model_block(inputs: Inputs) -> dict[str, Any]:
    info = inputs.loaded.info
    processor = inputs.preprocessor.image_processor
    height, width = inputs.preprocessor.image_size
    return {
        "path": str(info.path),
        "sha256": info.sha256,
        "format": info.format,
        "parameters": int(info.parameter_count),
        "architecture": info.config.to_dict(),
        "class_names": ["ham", "spam"],
        "tokenizer": str(getattr(inputs.preprocessor.tokenizer, "name_or_path", "")),
        "image_processor": f"{type(processor).__name__} {height}x{width}",
        # The tokens per text the model read, and whether the user gave it or it was inferred.
        "max_length": inputs.max_length or {"value": int(inputs.preprocessor.max_length), "source": "given",
                                            "derivation": "set by the caller of reportgen.analyze"},
    }


def run_analysis(inputs: Inputs, options: AnalysisOptions, *, command: str, progress: bool = True) -> dict[str, Any]:
    """Predict every selected row, explain the chosen samples and summarise them.

    Args:
        inputs: :class:`reportgen.inputs.Inputs` (loaded model, preprocessor, dataset, device).
        options: what to explain and how.
        command: the command line, recorded in ``generator.command``.
        progress: show tqdm bars (prediction and explanation).

    Returns:
        A plain-JSON results dict valid against the results schema (not yet saved).

    Raises:
        ReportgenError: a user-fixable problem (bad selection, unreadable picture, …).
    """
    from tqdm.auto import tqdm

    from reportgen.explain.attention import stored_attention_layer
    from reportgen.analysis.language import dataset_languages
    from reportgen.analysis.metrics import classification_metrics
    from reportgen.analysis.predict import predict

    # Checked first: a bad SOURCE_DATE_EPOCH should not cost a whole analysis.
    created = timestamp(options.deterministic)
    explain_kwargs: dict[str, Any] = {}
    # The white/black baselines are pixel values pushed through the processor's normalisation, which
    # differs when the user passes another --image-processor.
    processor = inputs.preprocessor.image_processor
    for name, attribute in (("pixel_mean", "image_mean"), ("pixel_std", "image_std")):
        value = getattr(processor, attribute, None)
        if value is not None:
            explain_kwargs[name] = tuple(float(v) for v in (value if isinstance(value, (list, tuple)) else [value] * 3))
    explain_options = replace(options.explain, **explain_kwargs)
    stored_attention_layer(inputs.loaded.model.config, explain_options)  # bad options fail before any model work
    _seed_everything(options.seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    dataset = inputs.dataset

    # Every row's Shapley split comes out of the prediction pass (same encoder states, same baselines
    # as the explanations).
    frame = predict(inputs.loaded.model, inputs.preprocessor, dataset, batch_size=inputs.batch_size,
                    device=inputs.device, progress=progress, shapley=explain_options)
    timings["predict_s"] = time.perf_counter() - started
    language_started = time.perf_counter()
    languages, language_source = dataset_languages(dataset)
    timings["language_s"] = time.perf_counter() - language_started
    text_missing = dict(zip(dataset.rows, dataset.text_missing)) if dataset.text_missing else None
    predictions = _prediction_records(frame, languages, text_missing)
    metrics = None
    if dataset.labels is not None:
        metrics = classification_metrics([p["label"] for p in predictions], [p["prediction"] for p in predictions],
                                         [p["prob_spam"] for p in predictions])

    selection = sample_selection(options, dataset.selection, dataset.rows)
    chosen, selection_warnings = select_samples(frame, selection)
    by_row = {p["row"]: p for p in predictions}
    index_of = {int(row): i for i, row in enumerate(dataset.rows)}
    explain_started = time.perf_counter()
    samples = []
    for choice in tqdm(chosen, desc="explaining", unit="sample", disable=not progress):
        # Re-seed per sample so one sample's explanation does not depend on which were explained before.
        _seed_everything(options.seed)
        samples.append(_explain_one(inputs, index_of[choice.row], by_row[choice.row], choice.reason,
                                    explain_options))
    timings["explain_s"] = time.perf_counter() - explain_started
    summary = aggregate(predictions, samples, top_k=options.summary.top_k, min_count=options.summary.min_count,
                        skipped=dataset.skipped, extra_warnings=selection_warnings)
    from reportgen.explain.faithfulness import summarise

    faithfulness = summarise(samples)
    if faithfulness is not None:
        summary["faithfulness"] = faithfulness
    if explain_options.sanity_samples and samples:
        sanity_started = time.perf_counter()
        summary["sanity"] = _sanity(inputs, _most_attributed(samples, explain_options.sanity_samples), index_of,
                                      explain_options, progress)
        timings["sanity_s"] = time.perf_counter() - sanity_started
    timings["total_s"] = time.perf_counter() - started

    generator: dict[str, Any] = {
        "name": "reportgen",
        "version": __version__,
        "command": command,
        "created": created,
        "options": options.to_dict(),
        "packages": _packages(),
        "seed": options.seed,
        "device": str(inputs.device),
    }
    if not options.deterministic:
        generator["timings"] = timings
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": generator,
        "model": _model_block(inputs),
        "dataset": dataset.describe(),
        "methods": {**_methods(options, selection, inputs.loaded.model), "language": language_source},
        "predictions": predictions,
        "metrics": metrics,
        "aggregate": summary,
        "samples": samples,
    }
