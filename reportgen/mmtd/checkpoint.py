"""Load MMTD checkpoints exactly as trained: strict names, strict shapes, no random weights.

A checkpoint is an HF Trainer folder ``checkpoint-N/`` holding ``model.safetensors`` or
``pytorch_model.bin``, or one of those files directly. Real checkpoints were written by
transformers 4.x; transformers 5 renamed BEiT's internals (``encoder.layer.N.attention.attention.query``
-> ``layers.N.attention.q_proj`` ...). We rename with transformers' own conversion mapping (the rules
``from_pretrained`` uses) rather than a hand-written table, so a future rename in the library is
picked up by the library.

The architecture is read off the tensor shapes. Only the attention-head counts are not stored in
the weights: they default to ``hidden / 64`` per encoder and 8 in the fusion layer (MMTD's values),
unless a ``--model-config`` JSON file says otherwise, e.g.
``{"text": {"num_attention_heads": 12}, "image": {"num_attention_heads": 12}, "fusion_heads": 8}``.

Exactly one entry is dropped: the legacy buffer ``text_encoder.bert.embeddings.position_ids``
(transformers 5 keeps it as a non-persistent buffer), and only after checking it holds
``arange(max_positions)`` -- the values the 4.x model would have used. Anything else that is missing,
unexpected or mis-shaped raises :class:`~reportgen.errors.CheckpointError` naming the keys, and so
do three kinds of damage the strict shape check cannot see: integer (quantised) tensors where the model
has float weights, NaN/Inf values, and (``.bin``) bytes that fail the zip archive's CRC-32 check.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from reportgen.errors import CheckpointError, first_line
from reportgen.results.io import atomic_path

if TYPE_CHECKING:  # torch/transformers are heavy: import them only where a function needs them
    import torch

    from reportgen.mmtd.model import MMTD, MMTDConfig

#: File names looked for inside a ``checkpoint-N/`` folder, in order of preference (as HF does).
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

#: The only checkpoint entry that is not a parameter of the transformers-5 model.
LEGACY_POSITION_IDS = "text_encoder.bert.embeddings.position_ids"

#: How many key names an error message lists before "(+N more)".
_MAX_LISTED = 5

#: Entry dtypes that can hold trained weights (float16/bfloat16 files are cast to float32 on load).
_FLOAT_DTYPES = frozenset({"float16", "bfloat16", "float32", "float64"})

_TEXT = "text_encoder.bert."
_IMAGE = "image_encoder.beit."
_FUSION = "multi_modality_transformer_layer."


# ------------------------------------------------------------------------------------------------
# public data classes
# ------------------------------------------------------------------------------------------------
@dataclass
class CheckpointInfo:
    """What was loaded and how.

    Attributes:
        path: the path the user gave (folder or file).
        file: the weights file actually read.
        format: ``"bin"`` or ``"safetensors"``.
        sha256: hex digest of the weights file.
        n_entries: entries in the file (431 for a real MMTD checkpoint).
        renamed: entries whose transformers-4.x name was mapped to the transformers-5 name.
        dropped: entries deliberately not loaded (only the legacy ``position_ids`` buffer).
        parameter_count: parameters of the model (all of them loaded from the file).
        config: the inferred (and possibly overridden) architecture.
        assumptions: architecture values not stored in the weights, and where they came from.
        dtypes: count of entries per tensor dtype in the file.
    """

    path: str
    file: str
    format: str
    sha256: str
    n_entries: int
    renamed: int
    dropped: list[str]
    parameter_count: int
    config: MMTDConfig
    assumptions: list[str] = field(default_factory=list)
    dtypes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; ``architecture`` is ``config.to_dict()``."""
        return {
            "path": self.path,
            "file": self.file,
            "format": self.format,
            "sha256": self.sha256,
            "n_entries": self.n_entries,
            "renamed": self.renamed,
            "dropped": list(self.dropped),
            "parameter_count": self.parameter_count,
            "architecture": self.config.to_dict(),
            "assumptions": list(self.assumptions),
            "dtypes": dict(self.dtypes),
        }


@dataclass
class LoadedModel:
    """An MMTD with the checkpoint's weights (eval mode, on the requested device) and its provenance."""

    model: MMTD
    info: CheckpointInfo


# ------------------------------------------------------------------------------------------------
# public functions
# ------------------------------------------------------------------------------------------------
def load_mmtd(path: str | Path, model_config: Path | None = None, device: str = "cpu") -> LoadedModel:
    """Load an MMTD checkpoint with strict key and shape checks.

    Args:
        path: a ``checkpoint-N/`` folder or a ``model.safetensors`` / ``pytorch_model.bin`` file.
        model_config: optional JSON file overriding values the weights do not store (head counts).
        device: torch device for the returned model.

    Returns:
        The model in eval mode on ``device`` and its :class:`CheckpointInfo`.

    Raises:
        CheckpointError: unreadable file, pickle payload, any missing / unexpected / mis-shaped key,
            integer (quantised) weights, NaN/Inf values, or a ``.bin`` failing its CRC check.
    """
    from transformers.initialization import no_init_weights

    from reportgen.mmtd.model import MMTD

    raw = _open_checkpoint(Path(path))
    plan = _plan(raw, model_config)
    tensors = raw.tensors()
    _refuse_non_finite(raw.file, non_finite_entries((old, tensors[old]) for old in plan.new_to_old.values()))
    state = {new: tensors[old] for new, old in plan.new_to_old.items()}
    # Initialisation is skipped because every parameter is overwritten by the strict load below;
    # buffers (position ids, token type ids) are still built by the modules themselves.
    with no_init_weights():
        model = MMTD(plan.config)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:  # _plan already checked; this guards the guard
        raise CheckpointError(
            f"{raw.file}: internal key check disagreed with torch: missing "
            f"{_listing(result.missing_keys)}; unexpected {_listing(result.unexpected_keys)}"
        )
    model.to(device).eval()
    return LoadedModel(model=model, info=plan.info(path, raw))


def inspect_checkpoint(path: str | Path, model_config: Path | None = None) -> dict[str, Any]:
    """Check a checkpoint against the inferred architecture without building the model's weights.

    Args:
        path: a ``checkpoint-N/`` folder or a weights file.
        model_config: optional JSON file with head counts (see module docstring).

    Returns:
        ``CheckpointInfo.to_dict()``: plain JSON (path, file, format, sha256, n_entries, renamed,
        dropped, parameter_count, architecture, assumptions, dtypes), plus ``non_finite``: one
        ``{"key", "count", "numel"}`` per entry holding NaN/Inf values, in file order (empty when
        none). :func:`load_mmtd` refuses a checkpoint with any; here they are reported, so the
        caller can show the architecture as well.

    Raises:
        CheckpointError: every other problem :func:`load_mmtd` would refuse.
    """
    raw = _open_checkpoint(Path(path))
    plan = _plan(raw, model_config)
    info = plan.info(path, raw).to_dict()
    # One tensor at a time, so inspecting a 1 GB checkpoint never holds more than its largest entry.
    info["non_finite"] = [
        {"key": key, "count": count, "numel": numel}
        for key, count, numel in non_finite_entries((key, raw.get(key)) for key in raw.shapes)
    ]
    return info


def non_finite_entries(entries: Iterable[tuple[str, Any]]) -> list[tuple[str, int, int]]:
    """The floating-point tensors among ``entries`` that hold NaN or +-Inf values.

    Args:
        entries: ``(name, tensor)`` pairs; tensors are checked one at a time, in order.

    Returns:
        ``(name, non-finite values, all values)`` for each bad tensor, in the order given.
    """
    import torch

    bad = []
    for name, tensor in entries:
        if not tensor.is_floating_point() or tensor.numel() == 0:
            continue
        # aminmax propagates NaN and shows +-Inf as an extreme: one read of the data, no temporary.
        # (isfinite(t).all() gives the same answer but took 30x longer on CPU: 10 s for a full-size
        # checkpoint.) The count is only taken for bad tensors.
        low, high = torch.aminmax(tensor)
        if not (math.isfinite(low.item()) and math.isfinite(high.item())):
            bad.append((name, int((~torch.isfinite(tensor)).sum()), int(tensor.numel())))
    return bad


def non_finite_message(file: str | Path, bad: list[tuple[str, int, int]]) -> str:
    """One line naming the first tensors of ``bad`` (from :func:`non_finite_entries`)."""
    listed = [f"{name} ({count:,} of {numel:,} values)" for name, count, numel in bad]
    return (
        f"{file}: {len(bad)} tensor{'s' if len(bad) != 1 else ''} hold NaN or infinite values, so every "
        f"prediction would be meaningless: {_listing(listed)}"
    )


def _refuse_non_finite(file: Path, bad: list[tuple[str, int, int]]) -> None:
    if bad:
        raise CheckpointError(non_finite_message(file, bad))


def original_state_dict(model: MMTD) -> dict[str, torch.Tensor]:
    """The model's weights under the names real (transformers-4.x) MMTD checkpoints use.

    BEiT names are mapped back with transformers' own reverse conversion
    (``revert_weight_conversion``, what ``save_pretrained`` uses), and the legacy
    ``text_encoder.bert.embeddings.position_ids`` buffer (``arange(max_positions)``, shape ``[1, P]``,
    int64) is added, so the result has the 431 entries of the original layout for the base size.

    Args:
        model: an MMTD.

    Returns:
        Name -> tensor (the model's own tensors, detached; plus the new position_ids tensor).
    """
    import torch
    from transformers.core_model_loading import revert_weight_conversion

    current = {k: v.detach() for k, v in model.state_dict().items()}
    reverted = revert_weight_conversion(model, dict(current))
    # revert_weight_conversion re-sorts the keys; restore the model's module order (text, image, fusion) by
    # tensor identity, which renaming preserves.
    new_name = {id(tensor): name for name, tensor in reverted.items()}
    if len(new_name) != len(current):
        raise RuntimeError("revert_weight_conversion merged or split tensors; MMTD expects pure renames")
    out = {new_name[id(tensor)]: tensor for tensor in current.values()}
    max_positions = int(model.config.text.max_position_embeddings)
    out[LEGACY_POSITION_IDS] = torch.arange(max_positions, dtype=torch.long).unsqueeze(0)
    return out


def save_checkpoint(model: MMTD, folder: Path, format: str = "safetensors") -> Path:
    """Write ``model`` as an original-layout checkpoint (4.x names + ``position_ids``) into ``folder``.

    Args:
        model: the MMTD to save.
        folder: created if needed (typically ``.../checkpoint-N``).
        format: ``"safetensors"`` (writes ``model.safetensors``) or ``"bin"`` (``pytorch_model.bin``).

    Returns:
        Path of the weights file written (``load_mmtd`` accepts it or ``folder``).
    """
    import torch

    if format not in ("safetensors", "bin"):
        raise ValueError(f"format must be 'safetensors' or 'bin', not {format!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in original_state_dict(model).items()}
    target = folder / ("model.safetensors" if format == "safetensors" else "pytorch_model.bin")
    # Written beside the target and renamed, so an interrupted save never leaves a truncated checkpoint.
    with atomic_path(target) as tmp:
        if format == "safetensors":
            from safetensors.torch import save_file

            save_file(state, str(tmp), metadata={"format": "pt"})
        else:
            torch.save(state, tmp)
    return target


# ------------------------------------------------------------------------------------------------
# reading files
# ------------------------------------------------------------------------------------------------
@dataclass
class _RawCheckpoint:
    """A weights file opened for reading: names, shapes and dtypes now, tensors on demand."""

    file: Path
    format: str
    shapes: dict[str, tuple[int, ...]]
    dtypes: dict[str, str]
    tensors: Callable[[], dict[str, Any]]
    get: Callable[[str], Any]

    @functools.cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        with open(self.file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 22), b""):
                digest.update(chunk)
        return digest.hexdigest()


def _resolve_file(path: Path) -> Path:
    if not path.exists():
        raise CheckpointError(f"Checkpoint not found: {path}")
    if path.is_dir():
        for name in WEIGHT_FILES:
            if (path / name).is_file():
                return path / name
        if any(path.glob("*.index.json")):
            raise CheckpointError(f"{path}: sharded checkpoints (*.index.json) are not supported; MMTD fits one file")
        raise CheckpointError(f"{path}: folder holds neither {' nor '.join(WEIGHT_FILES)}")
    return path


def _open_checkpoint(path: Path) -> _RawCheckpoint:
    file = _resolve_file(path)
    with open(file, "rb") as handle:
        head = handle.read(16)
    if not head:
        raise CheckpointError(f"{file}: empty file, not a checkpoint")
    # safetensors: 8-byte little-endian header length, then a JSON object. torch: a zip ("PK") or
    # a legacy pickle. Sniff rather than trust the suffix, so a renamed file still gets the right reader.
    if len(head) > 8 and head[8:9] == b"{":
        return _open_safetensors(file)
    return _open_torch(file)


def _open_safetensors(file: Path) -> _RawCheckpoint:
    from safetensors import safe_open

    try:
        handle = safe_open(str(file), framework="pt", device="cpu")
        shapes: dict[str, tuple[int, ...]] = {}
        dtypes: dict[str, str] = {}
        for key in handle.keys():
            tensor_slice = handle.get_slice(key)
            shapes[key] = tuple(int(n) for n in tensor_slice.get_shape())
            dtypes[key] = _safetensors_dtype(tensor_slice.get_dtype())
    except Exception as error:  # safetensors raises its own error types for every malformed file
        raise CheckpointError(
            f"{file}: not a readable safetensors checkpoint (truncated or corrupt?): {first_line(error)}"
        ) from error

    def get(key: str) -> Any:
        try:
            return handle.get_tensor(key)
        except Exception as error:
            raise CheckpointError(f"{file}: cannot read tensor {key}: {first_line(error)}") from error

    def tensors() -> dict[str, Any]:
        return {key: get(key) for key in shapes}

    return _RawCheckpoint(file, "safetensors", shapes, dtypes, tensors, get)


def _safetensors_dtype(name: str) -> str:
    return {
        "F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64", "I64": "int64",
        "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
    }.get(name, name.lower())


def _open_torch(file: Path) -> _RawCheckpoint:
    import pickle

    import torch

    is_zip = zipfile.is_zipfile(file)
    if is_zip:
        _check_zip_crc(file)
    try:
        # weights_only=True: a .bin is a pickle, and unpickling arbitrary objects runs code.
        # mmap only works for the zip format (every torch >= 1.6 file); it avoids reading 1 GB twice.
        state = torch.load(file, map_location="cpu", weights_only=True, mmap=is_zip)
    except pickle.UnpicklingError as error:
        # torch's message opens with generic advice; the useful part names the refused global.
        found = re.search(r"(?:unsupported|Unsupported global:) GLOBAL (\S+)", str(error))
        refused = f" ({found.group(1)})" if found else ""
        raise CheckpointError(
            f"{file}: refused to load: the file contains Python objects other than tensors{refused}, "
            "which torch.load(weights_only=True) does not run; only plain state dicts are accepted"
        ) from error
    except Exception as error:  # torch raises RuntimeError/EOFError/... for damaged files
        first_sentence = first_line(error).split(". ")[0][:200]
        raise CheckpointError(
            f"{file}: not a readable PyTorch checkpoint (truncated or corrupt?): {first_sentence}"
        ) from error
    if not isinstance(state, dict):
        raise CheckpointError(f"{file}: holds a {type(state).__name__}, not a state dict of tensors")
    not_tensors = [str(k) for k, v in state.items() if not isinstance(v, torch.Tensor) or not isinstance(k, str)]
    if not_tensors:
        raise CheckpointError(f"{file}: not a plain state dict; entries that are not tensors: {_listing(not_tensors)}")
    shapes = {k: tuple(int(n) for n in v.shape) for k, v in state.items()}
    dtypes = {k: str(v.dtype).removeprefix("torch.") for k, v in state.items()}
    return _RawCheckpoint(file, "bin", shapes, dtypes, lambda: state, state.__getitem__)


def _check_zip_crc(file: Path) -> None:
    """Refuse a torch zip whose bytes differ from what was written (zeroed or altered tensor data).

    ``torch.load`` does not check the CRC-32 that ``torch.save`` stores for every archive entry, so a
    damaged ``.bin`` would load with wrong weights and no error; ``ZipFile.testzip`` checks them all.
    A file saved with ``torch.serialization.set_crc32_options(False)`` stores 0 for every CRC: there is
    nothing to check against, so it is accepted as it is.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            stored = [entry.CRC for entry in archive.infolist() if entry.file_size]
            damaged = archive.testzip() if any(stored) else None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise CheckpointError(
            f"{file}: not a readable PyTorch checkpoint (truncated or corrupt?): {first_line(error)}"
        ) from error
    if damaged is not None:
        raise CheckpointError(
            f"{file}: archive entry {damaged} fails its CRC-32 check: the file was damaged or altered "
            "after it was saved (copy it again)"
        )


# ------------------------------------------------------------------------------------------------
# names, architecture and the strict check
# ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _renaming_rules() -> tuple[list[Any], list[Any]]:
    """transformers' load-time renamings for MMTD's sub-models (scoped under ``image_encoder.``).

    The rules depend only on the sub-model classes (BERT, BEiT), not their sizes, so they are taken
    from a base-size MMTD built on the meta device (no memory, no initialisation).
    """
    import torch
    from transformers.conversion_mapping import get_model_conversion_mapping
    from transformers.core_model_loading import WeightConverter, WeightRenaming

    from reportgen.mmtd.model import MMTD, mmtd_base_config

    with torch.device("meta"):
        model = MMTD(mmtd_base_config())
    conversions = get_model_conversion_mapping(model, add_legacy=False)
    renamings = [c for c in conversions if isinstance(c, WeightRenaming)]
    converters = [c for c in conversions if isinstance(c, WeightConverter)]
    return renamings, converters


def _rename(file: Path, keys: list[str]) -> tuple[dict[str, str], int]:
    """Map checkpoint names to transformers-5 names; returns ({new: old}, number renamed)."""
    from transformers.core_model_loading import rename_source_key

    renamings, converters = _renaming_rules()
    new_to_old: dict[str, str] = {}
    renamed = 0
    clashes: list[str] = []
    for old in keys:
        new = rename_source_key(old, renamings, converters)[0]
        if new in new_to_old:
            clashes.append(f"{new_to_old[new]} / {old}")
            continue
        new_to_old[new] = old
        renamed += new != old
    if clashes:
        raise CheckpointError(
            f"{file}: the same weight appears under two names (old and new style?): {_listing(clashes)}"
        )
    return new_to_old, renamed


_MODEL_CONFIG_KEYS = {"text", "image", "fusion_heads"}


def _read_model_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"Model config not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: not a readable JSON model config: {first_line(error)}") from error
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: model config must be a JSON object like {{\"text\": {{...}}, ...}}")
    unknown = sorted(set(data) - _MODEL_CONFIG_KEYS)
    if unknown:
        raise CheckpointError(
            f"{path}: unknown model-config keys {unknown}; allowed: {sorted(_MODEL_CONFIG_KEYS)}"
        )
    for part in ("text", "image"):
        if part in data and not isinstance(data[part], dict):
            raise CheckpointError(f"{path}: \"{part}\" must be an object of {part}-encoder settings")
    heads = data.get("fusion_heads", 1)
    # bool is an int in Python: JSON true would silently mean one head.
    if isinstance(heads, bool) or not isinstance(heads, int) or heads < 1:
        raise CheckpointError(f"{path}: \"fusion_heads\" must be a positive integer (e.g. 8), got {json.dumps(heads)}")
    for part, cls_name in (("text", "BertConfig"), ("image", "BeitConfig")):
        for key, value in data.get(part, {}).items():
            _check_setting(path, part, cls_name, key, value)
    return data


def _check_setting(path: Path, part: str, cls_name: str, key: str, value: Any) -> None:
    """One override checked against the transformers config's own field types (and activations)."""
    import transformers
    from huggingface_hub.errors import StrictDataclassError
    from transformers.activations import ACT2FN

    cls = getattr(transformers, cls_name)
    if not hasattr(cls(), key):
        raise CheckpointError(f"{path}: unknown {part}-encoder setting {key!r} (not a {cls_name} field)")
    if key == "hidden_act" and (not isinstance(value, str) or value not in ACT2FN):
        raise CheckpointError(
            f"{path}: {part}.hidden_act = {json.dumps(value)} is not an activation transformers knows; "
            f"choose one of {', '.join(sorted(ACT2FN))}"
        )
    try:  # transformers 5 configs are strict dataclasses: the class itself knows each field's type
        cls(**{key: value})
    except StrictDataclassError as error:
        detail = str(error).strip().splitlines()[-1].strip().removeprefix("TypeError: ")
        raise CheckpointError(f"{path}: {part}.{key} = {json.dumps(value)}: {detail}") from error
    except (TypeError, ValueError) as error:  # a config class's own validation of the value
        raise CheckpointError(f"{path}: {part}.{key} = {json.dumps(value)}: {first_line(error)}") from error


@dataclass
class _Plan:
    """The outcome of checking a checkpoint: architecture, name map, counts."""

    config: MMTDConfig
    new_to_old: dict[str, str]
    renamed: int
    dropped: list[str]
    parameter_count: int
    assumptions: list[str]

    def info(self, path: str | Path, raw: _RawCheckpoint) -> CheckpointInfo:
        counts: dict[str, int] = {}
        for dtype in raw.dtypes.values():
            counts[dtype] = counts.get(dtype, 0) + 1
        return CheckpointInfo(
            path=str(path), file=str(raw.file), format=raw.format, sha256=raw.sha256,
            n_entries=len(raw.shapes), renamed=self.renamed, dropped=list(self.dropped),
            parameter_count=self.parameter_count, config=self.config, assumptions=list(self.assumptions),
            dtypes=dict(sorted(counts.items())),
        )


def _plan(raw: _RawCheckpoint, model_config: Path | None) -> _Plan:
    """Rename, infer the architecture, and check every entry against an MMTD of that architecture."""
    import torch

    from reportgen.mmtd.model import MMTD

    overrides = _read_model_config(model_config)
    new_to_old, renamed = _rename(raw.file, list(raw.shapes))
    shapes = {new: raw.shapes[old] for new, old in new_to_old.items()}

    dropped: list[str] = []
    if LEGACY_POSITION_IDS in shapes:
        _check_position_ids(raw, new_to_old[LEGACY_POSITION_IDS], shapes)
        dropped.append(new_to_old.pop(LEGACY_POSITION_IDS))
        del shapes[LEGACY_POSITION_IDS]

    config, assumptions = _infer_config(raw.file, shapes, overrides, model_config)
    try:
        with torch.device("meta"):  # shapes only: no memory, no initialisation
            expected_model = MMTD(config)
    except (ValueError, TypeError) as error:  # e.g. heads not dividing the hidden size
        raise CheckpointError(f"{raw.file}: inferred architecture is invalid: {first_line(error)}") from error
    expected_state = expected_model.state_dict()
    expected = {k: tuple(v.shape) for k, v in expected_state.items()}

    missing = [k for k in expected if k not in shapes]
    unexpected = [new_to_old[k] for k in shapes if k not in expected]
    misshaped = [
        f"{new_to_old[k]} {list(shapes[k])} vs model {list(expected[k])}"
        for k in shapes
        if k in expected and shapes[k] != expected[k]
    ]
    if missing or unexpected or misshaped:
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing: {_listing(_original_names(expected_model, missing))}")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected: {_listing(unexpected)}")
        if misshaped:
            problems.append(f"{len(misshaped)} mis-shaped: {_listing(misshaped)}")
        raise CheckpointError(f"{raw.file} does not match the MMTD architecture: " + "; ".join(problems))
    # load_state_dict would cast integers into the float parameters without a word: an int8-quantised
    # file then "loads" and predicts p = 0.5 for everything.
    not_float = [
        f"{new_to_old[k]} ({raw.dtypes[new_to_old[k]]})"
        for k, tensor in expected_state.items()
        if tensor.is_floating_point() and raw.dtypes[new_to_old[k]] not in _FLOAT_DTYPES
    ]
    if not_float:
        raise CheckpointError(
            f"{raw.file}: {len(not_float)} weight{'s' if len(not_float) != 1 else ''} not stored as floating point "
            f"(a quantised checkpoint? reportgen needs the full-precision one): {_listing(not_float)}"
        )

    parameter_count = sum(p.numel() for p in expected_model.parameters())
    return _Plan(config, new_to_old, renamed, dropped, int(parameter_count), assumptions)


def _original_names(model: Any, keys: list[str]) -> list[str]:
    """Missing keys under the names a 4.x checkpoint would use (what the user's file would contain)."""
    import torch
    from transformers.core_model_loading import revert_weight_conversion

    names = []
    for key in keys[:_MAX_LISTED]:
        names.extend(revert_weight_conversion(model, {key: torch.empty(0)}).keys())
    return names + keys[_MAX_LISTED:]


def _check_position_ids(raw: _RawCheckpoint, old_key: str, shapes: dict[str, tuple[int, ...]]) -> None:
    """The legacy buffer is inert only if it holds 0..P-1, the ids transformers 5 uses itself."""
    import torch

    positions = shapes.get(_TEXT + "embeddings.position_embeddings.weight", (None,))[0]
    if positions is None:
        return  # the missing position embeddings are reported by the architecture inference
    tensor = raw.get(old_key)
    if tuple(tensor.shape) != (1, positions) or not torch.equal(
        tensor.to(torch.long), torch.arange(positions).unsqueeze(0)
    ):
        raise CheckpointError(
            f"{raw.file}: {old_key} {list(tensor.shape)} is not arange(max_positions); the model would "
            "use different position ids than the trained one"
        )


def _infer_config(
    file: Path, shapes: dict[str, tuple[int, ...]], overrides: dict[str, Any], config_path: Path | None
) -> tuple[MMTDConfig, list[str]]:
    """Read the architecture off transformers-5-named shapes; apply the user's overrides."""
    from transformers import BeitConfig, BertConfig

    from reportgen.mmtd.model import MMTDConfig

    def shape(key: str, what: str) -> tuple[int, ...]:
        if key not in shapes:
            raise CheckpointError(f"{file}: missing entry {key} (needed to infer {what}); is this an MMTD checkpoint?")
        return shapes[key]

    def count_layers(prefix: str) -> int:
        pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
        indices = {int(m.group(1)) for k in shapes if (m := pattern.match(k))}
        return max(indices) + 1 if indices else 0  # gaps show up as missing keys in the strict check

    assumptions: list[str] = []

    # -- text encoder (BERT) --
    vocab, text_hidden = shape(_TEXT + "embeddings.word_embeddings.weight", "the vocabulary and hidden size")
    text_layers = count_layers(_TEXT + "encoder.layer.")
    if text_layers == 0:
        raise CheckpointError(f"{file}: no text encoder layers ({_TEXT}encoder.layer.N.*); is this an MMTD checkpoint?")
    text = {
        "vocab_size": vocab,
        "hidden_size": text_hidden,
        "num_hidden_layers": text_layers,
        "intermediate_size": shape(_TEXT + "encoder.layer.0.intermediate.dense.weight", "the text FFN size")[0],
        "max_position_embeddings": shape(_TEXT + "embeddings.position_embeddings.weight", "the text positions")[0],
        "type_vocab_size": shape(_TEXT + "embeddings.token_type_embeddings.weight", "the token types")[0],
        "num_labels": shape("text_encoder.classifier.weight", "the text classifier size")[0],
    }

    # -- image encoder (BEiT / DiT) --
    image_hidden, channels, patch_h, patch_w = shape(
        _IMAGE + "embeddings.patch_embeddings.projection.weight", "the image hidden size and patch size"
    )
    if patch_h != patch_w:
        raise CheckpointError(f"{file}: non-square patches {patch_h}x{patch_w} are not supported")
    image_layers = count_layers(_IMAGE + "layers.")
    if image_layers == 0:
        raise CheckpointError(f"{file}: no image encoder layers ({_IMAGE}layers.N.*); is this an MMTD checkpoint?")
    absolute = _IMAGE + "embeddings.position_embeddings" in shapes
    relative = _IMAGE + "layers.0.relative_position_bias.relative_position_bias_table" in shapes
    shared = _IMAGE + "shared_position_bias.relative_position_bias_table" in shapes
    image = {
        "hidden_size": image_hidden,
        "num_hidden_layers": image_layers,
        "intermediate_size": shape(_IMAGE + "layers.0.mlp.fc1.weight", "the image FFN size")[0],
        "patch_size": patch_h,
        "num_channels": channels,
        "use_absolute_position_embeddings": absolute,
        "use_relative_position_bias": relative,
        "use_shared_relative_position_bias": shared,
        # lambda_1/lambda_2 exist iff layer scale is on; their trained values come from the file,
        # the init value only has to be > 0 to create them.
        "layer_scale_init_value": 0.1 if _IMAGE + "layers.0.lambda_1" in shapes else 0.0,
        "use_mean_pooling": _IMAGE + "pooler.layernorm.weight" in shapes,
        "use_mask_token": _IMAGE + "embeddings.mask_token" in shapes,
        "num_labels": shapes.get("image_encoder.classifier.weight", (0,))[0],
    }
    image_override = overrides.get("image", {})
    if absolute:
        tokens = shape(_IMAGE + "embeddings.position_embeddings", "the image size")[1]
        side = math.isqrt(tokens - 1)
        if side * side != tokens - 1:
            raise CheckpointError(
                f"{file}: image position embeddings have {tokens} tokens, not 1 + a square number of patches"
            )
        image["image_size"] = side * patch_h
    elif relative or shared:
        table_key = (
            _IMAGE + "layers.0.relative_position_bias.relative_position_bias_table"
            if relative
            else _IMAGE + "shared_position_bias.relative_position_bias_table"
        )
        entries, bias_heads = shapes[table_key]
        # (2W-1)^2 + 3 entries for a W x W window of patches; the table also gives the head count.
        root = math.isqrt(entries - 3)
        if root * root != entries - 3 or root % 2 == 0:
            raise CheckpointError(f"{file}: {table_key} has {entries} rows, not (2W-1)^2 + 3")
        image["image_size"] = (root + 1) // 2 * patch_h
        image["num_attention_heads"] = bias_heads
        assumptions.append(f"image heads = {bias_heads}, read from the relative position bias table")
    elif "image_size" not in image_override:
        raise CheckpointError(
            f"{file}: the image size is not stored (no position embeddings); pass --model-config FILE "
            'with {"image": {"image_size": N}}'
        )

    # -- fusion and head --
    d_model = shape(_FUSION + "self_attn.in_proj_weight", "the fusion width")[1]
    fusion_feedforward = shape(_FUSION + "linear1.weight", "the fusion feed-forward size")[0]
    num_labels = shape("classifier.weight", "the number of classes")[0]
    if not text_hidden == image_hidden == d_model:
        raise CheckpointError(
            f"{file}: text hidden {text_hidden}, image hidden {image_hidden} and fusion width {d_model} differ; "
            "MMTD concatenates them, so they must be equal"
        )

    # -- head counts: not in the weights --
    source = f"--model-config {config_path}" if config_path else None
    for name, part, hidden in (("text", text, text_hidden), ("image", image, image_hidden)):
        given = overrides.get(name, {}).get("num_attention_heads")
        if given is not None:
            part["num_attention_heads"] = given
            assumptions.append(f"{name} heads = {given}, from {source}")
        elif "num_attention_heads" in part:
            continue
        elif hidden % 64 == 0:
            part["num_attention_heads"] = hidden // 64
            assumptions.append(f"{name} heads = hidden/64 = {hidden // 64} (not stored in the weights)")
        else:
            raise CheckpointError(
                f"{file}: cannot infer the {name} encoder's attention heads (hidden size {hidden} is not a "
                f'multiple of 64); pass --model-config FILE with {{"{name}": {{"num_attention_heads": N}}}}'
            )
    if "fusion_heads" in overrides:
        fusion_heads = overrides["fusion_heads"]
        assumptions.append(f"fusion heads = {fusion_heads}, from {source}")
    else:
        fusion_heads = 8
        assumptions.append("fusion heads = 8, MMTD's value (not stored in the weights)")
    if d_model % fusion_heads:
        raise CheckpointError(
            f"{file}: fusion width {d_model} is not divisible by {fusion_heads} heads; pass --model-config FILE "
            'with {"fusion_heads": N}'
        )

    # -- user overrides of anything else (eps, activation, ...): the strict check catches shape clashes --
    for name, part in (("text", text), ("image", image)):
        for key, value in overrides.get(name, {}).items():
            if key in part and key != "num_attention_heads" and part[key] != value:
                raise CheckpointError(
                    f"{config_path}: {name}.{key} = {value!r} contradicts the checkpoint ({part[key]!r})"
                )
            part[key] = value

    for name, part in (("text", text), ("image", image)):
        heads = part["num_attention_heads"]
        if not isinstance(heads, int) or heads < 1 or part["hidden_size"] % heads:
            raise CheckpointError(
                f"{config_path or file}: {name} hidden size {part['hidden_size']} is not divisible by {heads} heads"
            )

    config = MMTDConfig(
        text=BertConfig(**text),
        image=BeitConfig(**image),
        fusion_heads=fusion_heads,
        fusion_feedforward=fusion_feedforward,
        num_labels=num_labels,
    )
    return config, assumptions


def _listing(items: list[str]) -> str:
    """``a, b, c (+N more)``: enough to act on, short enough for one line."""
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" (+{len(items) - _MAX_LISTED} more)" if len(items) > _MAX_LISTED else "")
