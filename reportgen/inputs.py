"""The load step: checkpoint, tokenizer, picture processor and dataset, checked against each other.

:func:`load_inputs` is what every command and the Python API call first. Cheap checks come first
(data, device, tokenizer) so a typo in a column name does not cost a 1 GB model load; then the
checkpoint and the picture processor; finally the tokenizer and processor are checked against the
checkpoint (vocabulary, positions, picture size).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError
from reportgen.options import DEFAULT_MAX_LENGTH, DataOptions, LoadOptions

if TYPE_CHECKING:  # heavy imports (torch) stay out of `--help`
    from reportgen.mmtd.checkpoint import LoadedModel
    from reportgen.mmtd.edp import EDPDataset
    from reportgen.mmtd.preprocessing import Preprocessor


@dataclass
class Inputs:
    """Everything an analysis needs: the loaded model, the preprocessor, the data and the device.

    Attributes:
        loaded: the model (eval, on ``device``) and its checkpoint info.
        preprocessor: tokenizer + picture processor.
        dataset: the selected EDP rows (``dataset.skipped`` lists rows left out by --skip-invalid).
        device: ``"cpu"`` or ``"cuda"``.
        batch_size: e-mails per forward pass.
        max_length: how ``preprocessor.max_length`` was chosen (results.json ``model.max_length``):
            ``{"value", "source": "given" | "inferred", "derivation"}``; None when the caller built
            the preprocessor itself (recorded as given).
    """

    loaded: LoadedModel
    preprocessor: Preprocessor
    dataset: EDPDataset
    device: str
    batch_size: int = LoadOptions.__dataclass_fields__["batch_size"].default
    max_length: dict[str, Any] | None = None


def resolve_device(name: str) -> str:
    """``"auto"`` → ``"cuda"`` when available else ``"cpu"``; ``"cuda"`` without a GPU is an error."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ReportgenError("--device cuda: no CUDA device is available (use --device cpu or auto)")
    if name not in ("cpu", "cuda"):
        raise ReportgenError(f"--device {name!r}: expected auto, cpu or cuda")
    return name


def load_inputs(load: LoadOptions, data: DataOptions) -> Inputs:
    """Load data, model and preprocessing.

    Args:
        load: checkpoint, tokenizer, picture processor, max length, device, batch size.
        data: CSV, pictures folder, columns, row selection.

    Raises:
        ReportgenError: (or a subclass) one line naming what to fix.
    """
    from reportgen.mmtd.checkpoint import load_mmtd
    from reportgen.mmtd.edp import load_edp
    from reportgen.mmtd.preprocessing import Preprocessor, load_image_processor, load_tokenizer

    dataset = load_edp(
        data.data, data.images, text_column=data.text_column, pic_column=data.pic_column,
        label_column=data.label_column, split=data.split, rows=list(data.rows) if data.rows else None,
        skip_invalid=data.skip_invalid, seed=data.seed, require_labels=data.require_labels,
        missing_text=data.missing_text, max_pixels=data.max_pixels, allow_outside_images=data.allow_outside_images,
    )
    device = resolve_device(load.device)
    # The tokenizer before the checkpoint: a wrong --tokenizer should not cost a 1 GB load.
    text_tokenizer = load_tokenizer(load.tokenizer)
    loaded = load_mmtd(load.checkpoint, Path(load.model_config) if load.model_config else None, device=device)
    config = loaded.info.config
    if load.max_length is None:
        max_length = inferred_max_length(config, text_tokenizer)
    else:
        max_length = {"value": int(load.max_length), "source": "given", "derivation": "--max-length"}
    preprocessor = Preprocessor(
        tokenizer=text_tokenizer,
        image_processor=load_image_processor(load.image_processor, int(config.image.image_size)),
        max_length=max_length["value"],
    )
    _check_fit(preprocessor, config, load.tokenizer)
    return Inputs(loaded=loaded, preprocessor=preprocessor, dataset=dataset, device=device,
                  batch_size=load.batch_size, max_length=max_length)


#: A tokenizer's ``model_max_length`` at or above this is transformers' "no limit" placeholder (1e30).
_NO_TOKENIZER_LIMIT = 10**6


def inferred_max_length(config: Any, tokenizer: Any = None) -> dict[str, Any]:
    """The default ``--max-length`` and how it was derived (results.json ``model.max_length``).

    min(256 = training's length, the checkpoint's text positions, the tokenizer's ``model_max_length``
    when it states one). [CLS] and [SEP] are counted in the length, as the tokenizer counts them, and
    BERT's positions start at 0, so a length equal to the positions fits.
    """
    positions = int(config.text.max_position_embeddings)
    bounds = [(DEFAULT_MAX_LENGTH, f"{DEFAULT_MAX_LENGTH} (MMTD's training length)"),
              (positions, f"{positions} (the checkpoint's text positions)")]
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 2 <= limit < _NO_TOKENIZER_LIMIT:
        bounds.append((limit, f"{limit} (the tokenizer's model_max_length)"))
    value = min(bound for bound, _ in bounds)
    return {"value": value, "source": "inferred",
            "derivation": f"min of {', '.join(words for _, words in bounds)} = {value}"}


def _check_fit(preprocessor: Preprocessor, config: Any, tokenizer_name: str) -> None:
    """A tokenizer larger than the embedding table or texts longer than its positions would crash later."""
    vocab = len(preprocessor.tokenizer)
    if vocab > config.text.vocab_size:
        raise ReportgenError(
            f"tokenizer {tokenizer_name!r} has {vocab} tokens but the checkpoint's text encoder only "
            f"{config.text.vocab_size}; pass the tokenizer the model was trained with (--tokenizer)"
        )
    if preprocessor.max_length > config.text.max_position_embeddings:
        raise ReportgenError(
            f"--max-length {preprocessor.max_length} exceeds the checkpoint's "
            f"{config.text.max_position_embeddings} text positions"
        )
    expected = (int(config.image.image_size), int(config.image.image_size))
    made = preprocessor.image_size
    if made != expected:
        what = "pictures whose size depends on the input" if made is None else f"{made[0]}x{made[1]} pictures"
        raise ReportgenError(
            f"the image processor makes {what} but the checkpoint expects {expected[0]}x{expected[1]}; "
            "pass another --image-processor or leave it out for the DiT default"
        )
