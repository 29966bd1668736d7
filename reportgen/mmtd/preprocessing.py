"""Turn e-mail texts and pictures into MMTD's inputs exactly as training did.

Training tokenised with bert-base-multilingual-cased's ``BertTokenizerFast`` (max_length 256,
truncation, padding to 256) and prepared pictures with ``BeitFeatureExtractor.from_pretrained(
'microsoft/dit-base')``, the published DiT processor: PIL **bilinear** resize (``resample=2``) to
224×224, no crop, rescale 1/255, normalise with mean = std = 0.5. transformers 5 keeps that PIL
path as ``BeitImageProcessorPil``; its default ``BeitImageProcessor`` switches to torchvision when
installed, whose resize differs slightly, so reportgen always asks for the PIL backend. Pictures
are converted to RGB first: EDP's are RGB already (no change), and L / P / RGBA / CMYK pictures
stay usable.

Nothing is downloaded: a tokenizer or processor is a local folder or a hub id already in the user's
Hugging Face cache (``local_files_only=True``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from reportgen.errors import ReportgenError, first_line

#: The tokenizer MMTD was trained with.
DEFAULT_TOKENIZER = "bert-base-multilingual-cased"
#: Training's text length (tokens, including [CLS] and [SEP]).
DEFAULT_MAX_LENGTH = 256
#: DiT normalisation used in training.
DIT_MEAN = (0.5, 0.5, 0.5)
DIT_STD = (0.5, 0.5, 0.5)


def to_rgb(image: Image.Image) -> Image.Image:
    """Return ``image`` as RGB (EDP pictures may be L, P, RGBA or CMYK; the encoder wants 3 channels)."""
    return image if image.mode == "RGB" else image.convert("RGB")


@dataclass
class Preprocessor:
    """Tokenizer + picture processor that produce one batch of MMTD inputs.

    Attributes:
        tokenizer: a transformers fast tokenizer (BertTokenizerFast for MMTD).
        image_processor: a transformers image processor (``BeitImageProcessorPil`` by default).
        max_length: every text is truncated and padded to exactly this many tokens.
    """

    tokenizer: Any
    image_processor: Any
    max_length: int = DEFAULT_MAX_LENGTH

    def __post_init__(self) -> None:
        if self.max_length < 2:
            raise ReportgenError(f"--max-length must be at least 2 (room for [CLS] and [SEP]), got {self.max_length}")

    def encode(self, texts: list[str], images: list[Image.Image]) -> dict[str, torch.Tensor]:
        """Tokenise ``texts`` and prepare ``images`` as one batch.

        Args:
            texts: e-mail texts (``""`` for empty mails).
            images: PIL pictures, one per text; converted to RGB here.

        Returns:
            ``input_ids``, ``token_type_ids``, ``attention_mask`` (``[B, max_length]``, int64) and
            ``pixel_values`` (``[B, 3, H, W]``, float32).
        """
        if len(texts) != len(images):
            raise ValueError(f"encode got {len(texts)} texts but {len(images)} images")
        return {**self.encode_texts(texts), **self.encode_images(images)}

    def encode_texts(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Tokenise ``texts``: ``input_ids``, ``token_type_ids``, ``attention_mask`` (``[B, max_length]``).

        Not thread-safe: a fast tokenizer's padding/truncation settings are shared state.
        """
        tokens = self.tokenizer(
            list(texts),
            max_length=self.max_length,
            truncation=True,
            padding="max_length",
            return_tensors="pt",
        )
        return {
            "input_ids": tokens["input_ids"],
            # BERT tokenizers return token types; others may not, and MMTD then saw all zeros.
            "token_type_ids": tokens.get("token_type_ids", torch.zeros_like(tokens["input_ids"])),
            "attention_mask": tokens["attention_mask"],
        }

    def encode_images(self, images: list[Image.Image]) -> dict[str, torch.Tensor]:
        """Prepare pictures (converted to RGB): ``pixel_values`` ``[B, 3, H, W]`` float32. Thread-safe."""
        pixels = self.image_processor(images=[to_rgb(image) for image in images], return_tensors="pt")
        return {"pixel_values": pixels["pixel_values"].to(torch.float32)}

    @property
    def special_ids(self) -> dict[str, int]:
        """Ids of the tokenizer's [CLS], [SEP] and [PAD] tokens (keys ``cls``, ``sep``, ``pad``)."""
        return {
            "cls": int(self.tokenizer.cls_token_id),
            "sep": int(self.tokenizer.sep_token_id),
            "pad": int(self.tokenizer.pad_token_id),
        }

    @property
    def image_size(self) -> tuple[int, int] | None:
        """``(height, width)`` of the prepared pictures, or None when it depends on the picture.

        Found by preparing two blank pictures of different shapes, so any processor settings
        (resize, crop) are honoured exactly as they will be for the data.
        """
        shapes = {
            tuple(self.encode_images([Image.new("RGB", size)])["pixel_values"].shape[-2:])
            for size in ((40, 30), (30, 50))
        }
        return shapes.pop() if len(shapes) == 1 else None


def dit_image_processor(image_size: int) -> Any:
    """The published DiT processor: PIL bilinear to ``image_size``², no crop, /255, mean = std = 0.5.

    The settings of ``microsoft/dit-base``'s ``preprocessor_config.json`` (written by transformers'
    DiT conversion script with ``resample=BILINEAR, do_center_crop=False``), which MMTD's training
    code loaded; only the side follows the checkpoint.
    """
    from transformers import BeitImageProcessorPil
    from transformers.image_utils import PILImageResampling

    return BeitImageProcessorPil(
        do_resize=True,
        size={"height": image_size, "width": image_size},
        resample=PILImageResampling.BILINEAR,
        do_center_crop=False,
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=list(DIT_MEAN),
        image_std=list(DIT_STD),
        do_reduce_labels=False,
    )


def load_tokenizer(name: str) -> Any:
    """Load a fast tokenizer from a local folder or the local Hugging Face cache (never the network).

    Raises:
        ReportgenError: the folder/cache has no usable tokenizer, or its configs ask for custom code
            (``auto_map``) or are not JSON objects; the message says what to pass.
    """
    from transformers import AutoTokenizer

    tokenizer = _load_local(
        AutoTokenizer.from_pretrained, name, "tokenizer",
        "pass --tokenizer FOLDER (a saved BertTokenizerFast, e.g. bert-base-multilingual-cased)",
        # the JSON files AutoTokenizer reads; config.json only when the tokenizer config names no class
        config_files=("tokenizer_config.json", "config.json"),
    )
    if not getattr(tokenizer, "is_fast", False):
        raise ReportgenError(
            f"tokenizer {name!r} is not a fast tokenizer; pass --tokenizer FOLDER (a saved BertTokenizerFast)"
        )
    return tokenizer


def load_image_processor(name: str | None, image_size: int) -> Any:
    """The default DiT processor (``name`` None) or one loaded, PIL backend, from a folder/cached hub id.

    Raises:
        ReportgenError: nothing loadable at ``name``, or its configs ask for custom code (``auto_map``)
            or are not JSON objects; the message says what to pass.
    """
    if name is None:
        return dit_image_processor(image_size)
    from transformers import AutoImageProcessor

    return _load_local(
        AutoImageProcessor.from_pretrained, name, "image processor",
        "pass --image-processor FOLDER (with preprocessor_config.json), or leave it out for the DiT default",
        config_files=("preprocessor_config.json", "processor_config.json", "config.json"),
        # The torchvision backend resizes differently from training's PIL bilinear.
        backend="pil",
    )


def load_preprocessor(
    tokenizer: str,
    image_processor: str | None,
    image_size: int,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> Preprocessor:
    """Build the :class:`Preprocessor` used everywhere in reportgen.

    Args:
        tokenizer: local folder or hub id (from the local cache only) of a fast tokenizer.
        image_processor: folder or cached hub id of an image processor; ``None`` builds the
            published DiT processor (PIL bilinear, no crop, ``image_size``², mean = std = 0.5).
        image_size: picture side for the default processor (the checkpoint's BEiT image size).
        max_length: tokens per text after truncation and padding (256 in training).

    Raises:
        ReportgenError: tokenizer or processor missing, or ``max_length`` < 2.
    """
    return Preprocessor(
        tokenizer=load_tokenizer(tokenizer),
        image_processor=load_image_processor(image_processor, image_size),
        max_length=max_length,
    )


def _load_local(
    from_pretrained: Any, name: str, what: str, hint: str, config_files: tuple[str, ...], **kwargs: Any
) -> Any:
    """``from_pretrained(name, local_files_only=True, trust_remote_code=False)``, after checking its configs.

    Each of ``config_files`` present in the folder (or cached for the hub id) must be a JSON object
    without ``auto_map``: ``auto_map`` names Python code in the folder, which transformers would
    offer to run. Refusing it here gives one line naming the file, before transformers reads anything;
    ``trust_remote_code=False`` stays as a second guard (transformers then raises instead of prompting).

    Raises:
        ReportgenError: one line naming the file or saying what to pass.
    """
    for file in _cached_or_local(name, config_files):
        try:
            config = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ReportgenError(f"{file}: not a readable JSON {what} config: {first_line(error)}; {hint}") from error
        if not isinstance(config, dict):
            kind = {list: "array", str: "string", bool: "true/false", type(None): "null"}.get(type(config), "number")
            raise ReportgenError(f"{file}: a {what} config must be a JSON object, this one is a JSON {kind}; {hint}")
        if "auto_map" in config:
            raise ReportgenError(
                f"{file}: asks to run custom Python code (\"auto_map\"), and reportgen never runs code from an "
                f"input folder; remove \"auto_map\" to use transformers' built-in {what} class"
            )
    try:
        return from_pretrained(str(name), local_files_only=True, trust_remote_code=False, **kwargs)
    except (OSError, ValueError, KeyError, TypeError) as error:
        where = "folder" if Path(name).exists() else "hub id (not in the local Hugging Face cache)"
        raise ReportgenError(f"cannot load {what} {name!r} ({where}): {first_line(error)}; {hint}") from error


def _cached_or_local(name: str, filenames: tuple[str, ...]) -> list[Path]:
    """The files among ``filenames`` that ``from_pretrained(name, local_files_only=True)`` could read."""
    folder = Path(name)
    if folder.is_dir():
        return [folder / filename for filename in filenames if (folder / filename).is_file()]
    from huggingface_hub import try_to_load_from_cache

    found = []
    for filename in filenames:
        try:
            cached = try_to_load_from_cache(str(name), filename)
        except ValueError:  # not a valid hub id (HFValidationError): from_pretrained says so in one line
            return []
        if isinstance(cached, str):  # None: not cached; a sentinel object: cached as absent
            found.append(Path(cached))
    return found
