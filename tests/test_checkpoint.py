"""The loader is faithful: checkpoints written in the original layout give the original logits.

Checkpoints are written here by hand from a 4.x-named template (not by reportgen's own saver), and
logits are compared with an independent plain-torch forward pass (tests/reference_forward.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from reference_forward import reference_logits
from reportgen.mmtd.checkpoint import (
    LEGACY_POSITION_IDS,
    CheckpointInfo,
    LoadedModel,
    inspect_checkpoint,
    load_mmtd,
    original_state_dict,
    save_checkpoint,
)
from reportgen.errors import CheckpointError
from reportgen.mmtd.model import MMTD, mmtd_base_config

ROOT = Path(__file__).resolve().parents[1]
SHARED_LAYOUT = ROOT.parent / "shared" / "mmtd" / "checkpoint_layout.json"
LAYOUT_COPY = ROOT / "tests" / "data" / "checkpoint_layout.json"


# ------------------------------------------------------------------------------------------------
# writing original-layout checkpoints (independently of reportgen.mmtd.checkpoint)
# ------------------------------------------------------------------------------------------------
def original_layout(
    vocab: int = 51, hidden: int = 32, layers: int = 2, intermediate: int = 64, positions: int = 64,
    image_size: int = 32, patch: int = 8, fusion_ff: int = 48, labels: int = 2,
) -> dict[str, list[int]]:
    """Entry names and shapes exactly as transformers 4.x wrote MMTD checkpoints."""
    h, t = hidden, "text_encoder.bert."
    shapes: dict[str, list[int]] = {
        t + "embeddings.word_embeddings.weight": [vocab, h],
        t + "embeddings.position_embeddings.weight": [positions, h],
        t + "embeddings.token_type_embeddings.weight": [2, h],
        t + "embeddings.LayerNorm.weight": [h], t + "embeddings.LayerNorm.bias": [h],
    }
    for i in range(layers):
        p = f"{t}encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[p + name + ".weight"] = [h, h]
            shapes[p + name + ".bias"] = [h]
        shapes[p + "attention.output.LayerNorm.weight"] = [h]
        shapes[p + "attention.output.LayerNorm.bias"] = [h]
        shapes[p + "intermediate.dense.weight"] = [intermediate, h]
        shapes[p + "intermediate.dense.bias"] = [intermediate]
        shapes[p + "output.dense.weight"] = [h, intermediate]
        shapes[p + "output.dense.bias"] = [h]
        shapes[p + "output.LayerNorm.weight"] = [h]
        shapes[p + "output.LayerNorm.bias"] = [h]
    shapes |= {
        t + "pooler.dense.weight": [h, h], t + "pooler.dense.bias": [h],
        "text_encoder.classifier.weight": [labels, h], "text_encoder.classifier.bias": [labels],
    }
    b = "image_encoder.beit."
    shapes |= {
        b + "embeddings.cls_token": [1, 1, h],
        b + "embeddings.mask_token": [1, 1, h],
        b + "embeddings.position_embeddings": [1, (image_size // patch) ** 2 + 1, h],
        b + "embeddings.patch_embeddings.projection.weight": [h, 3, patch, patch],
        b + "embeddings.patch_embeddings.projection.bias": [h],
    }
    for i in range(layers):
        p = f"{b}encoder.layer.{i}."
        shapes[p + "lambda_1"] = [h]
        shapes[p + "lambda_2"] = [h]
        for name in ("query", "key", "value"):
            shapes[p + f"attention.attention.{name}.weight"] = [h, h]
            if name != "key":  # BEiT's key projection has no bias
                shapes[p + f"attention.attention.{name}.bias"] = [h]
        shapes[p + "attention.output.dense.weight"] = [h, h]
        shapes[p + "attention.output.dense.bias"] = [h]
        shapes[p + "intermediate.dense.weight"] = [intermediate, h]
        shapes[p + "intermediate.dense.bias"] = [intermediate]
        shapes[p + "output.dense.weight"] = [h, intermediate]
        shapes[p + "output.dense.bias"] = [h]
        for norm in ("layernorm_before", "layernorm_after"):
            shapes[p + norm + ".weight"] = [h]
            shapes[p + norm + ".bias"] = [h]
    f = "multi_modality_transformer_layer."
    shapes |= {
        b + "pooler.layernorm.weight": [h], b + "pooler.layernorm.bias": [h],
        "image_encoder.classifier.weight": [labels, h], "image_encoder.classifier.bias": [labels],
        f + "self_attn.in_proj_weight": [3 * h, h], f + "self_attn.in_proj_bias": [3 * h],
        f + "self_attn.out_proj.weight": [h, h], f + "self_attn.out_proj.bias": [h],
        f + "linear1.weight": [fusion_ff, h], f + "linear1.bias": [fusion_ff],
        f + "linear2.weight": [h, fusion_ff], f + "linear2.bias": [h],
        f + "norm1.weight": [h], f + "norm1.bias": [h], f + "norm2.weight": [h], f + "norm2.bias": [h],
        "pooler.0.weight": [h, h], "pooler.0.bias": [h],
        "classifier.weight": [labels, h], "classifier.bias": [labels],
        LEGACY_POSITION_IDS: [1, positions],
    }
    return shapes


def random_state(shapes: dict[str, list[int]], seed: int = 0) -> dict[str, torch.Tensor]:
    """Distinct random values everywhere, scaled so activations stay O(1) and nothing saturates."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in shapes.items():
        if key == LEGACY_POSITION_IDS:
            state[key] = torch.arange(shape[1]).unsqueeze(0)
            continue
        noise = torch.randn(shape, generator=generator)
        if key.endswith(("LayerNorm.weight", "layernorm_before.weight", "layernorm_after.weight",
                         "layernorm.weight", "norm1.weight", "norm2.weight")):
            state[key] = 1.0 + 0.2 * noise
        elif key.endswith(("lambda_1", "lambda_2")):
            state[key] = 0.1 + 0.05 * noise  # trained layer-scale values differ from the init 0.1
        elif len(shape) >= 2 and not key.endswith(("embeddings", "cls_token", "mask_token", "embeddings.weight")):
            fan_in = int(torch.tensor(shape[1:]).prod())
            state[key] = noise / fan_in**0.5
        else:
            state[key] = 0.5 * noise
    return state


def write(state: dict[str, torch.Tensor], folder: Path, fmt: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "bin":
        path = folder / "pytorch_model.bin"
        torch.save(state, path)
    else:
        path = folder / "model.safetensors"
        save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata={"format": "pt"})
    return path


def inputs(vocab: int = 51, length: int = 12, image_size: int = 32, seed: int = 1) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(5, vocab, (2, length), generator=generator)
    attention_mask = torch.ones(2, length, dtype=torch.long)
    attention_mask[1, 7:] = 0  # padding in the second e-mail, as in real batches
    input_ids[1, 7:] = 0
    token_type_ids = torch.zeros(2, length, dtype=torch.long)
    token_type_ids[0, 6:] = 1
    pixel_values = torch.randn(2, 3, image_size, image_size, generator=generator)
    return {"input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": attention_mask,
            "pixel_values": pixel_values}


def model_logits(loaded: LoadedModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.inference_mode():
        return loaded.model(**batch).double()


@pytest.fixture
def heads_config(tmp_path: Path) -> Path:
    """Hidden 32 is not a multiple of 64, so its head counts must be given (as a user would)."""
    path = tmp_path / "mmtd-config.json"
    path.write_text(json.dumps({"text": {"num_attention_heads": 2}, "image": {"num_attention_heads": 4},
                                "fusion_heads": 4}))
    return path


TINY_HEADS = {"text_heads": 2, "image_heads": 4, "fusion_heads": 4}


@pytest.fixture(scope="module")
def tiny_state() -> dict[str, torch.Tensor]:
    return random_state(original_layout(), seed=0)


def _layout_file() -> Path:
    return SHARED_LAYOUT if SHARED_LAYOUT.exists() else LAYOUT_COPY


# ------------------------------------------------------------------------------------------------
# faithfulness
# ------------------------------------------------------------------------------------------------
def test_template_is_the_real_431_entry_layout() -> None:
    layout = json.loads(_layout_file().read_text())
    real = {e["key"]: e["shape"] for e in layout["layout"]}
    ours = original_layout(vocab=119547, hidden=768, layers=12, intermediate=3072, positions=512,
                           image_size=224, patch=16, fusion_ff=2048)
    assert layout["keys"] == len(real) == 431
    assert ours == real


def test_layout_copy_matches_shared() -> None:
    if not SHARED_LAYOUT.exists():
        pytest.skip(f"{SHARED_LAYOUT} absent (clean clone); tests use tests/data/checkpoint_layout.json")
    assert json.loads(LAYOUT_COPY.read_text()) == json.loads(SHARED_LAYOUT.read_text())


@pytest.mark.parametrize("fmt", ["bin", "safetensors"])
@pytest.mark.parametrize("point_at", ["folder", "file"])
def test_original_layout_checkpoint_gives_reference_logits(
    tmp_path: Path, tiny_state: dict, heads_config: Path, fmt: str, point_at: str
) -> None:
    weights = write(tiny_state, tmp_path / "checkpoint-500", fmt)
    loaded = load_mmtd(weights.parent if point_at == "folder" else weights, model_config=heads_config)

    batch = inputs()
    expected = reference_logits(tiny_state, **batch, **TINY_HEADS)
    got = model_logits(loaded, batch)
    assert got.shape == (2, 2)
    assert torch.allclose(got, expected, atol=1e-4, rtol=0), (got, expected)
    assert not loaded.model.training

    info = loaded.info
    assert isinstance(info, CheckpointInfo)
    assert info.file == str(weights) and info.format == fmt
    assert info.sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert info.n_entries == len(tiny_state)
    assert info.dropped == [LEGACY_POSITION_IDS]
    assert info.renamed == 2 * 17  # all 17 entries of each BEiT layer carry 4.x names
    assert info.parameter_count == sum(v.numel() for k, v in tiny_state.items() if k != LEGACY_POSITION_IDS)
    assert info.config.text.num_attention_heads == 2 and info.config.fusion_heads == 4


def test_multiple_of_64_loads_without_model_config(tmp_path: Path) -> None:
    state = random_state(original_layout(hidden=64, intermediate=96, fusion_ff=80), seed=3)
    weights = write(state, tmp_path / "checkpoint-1", "safetensors")
    loaded = load_mmtd(tmp_path / "checkpoint-1")
    batch = inputs()
    expected = reference_logits(state, **batch, text_heads=1, image_heads=1, fusion_heads=8)
    assert torch.allclose(model_logits(loaded, batch), expected, atol=1e-4, rtol=0)
    arch = inspect_checkpoint(weights)["architecture"]
    assert arch["text"]["num_attention_heads"] == 1 and arch["fusion"]["nhead"] == 8
    assert arch["fusion"]["dim_feedforward"] == 80 and arch["text"]["intermediate_size"] == 96


def test_heads_not_inferable_asks_for_model_config(tmp_path: Path, tiny_state: dict) -> None:
    weights = write(tiny_state, tmp_path, "safetensors")
    with pytest.raises(CheckpointError, match="--model-config") as error:
        load_mmtd(weights)
    assert "hidden size 32" in error.value.message


def test_wrong_head_count_changes_logits(tmp_path: Path, tiny_state: dict) -> None:
    # Head counts are not in the weights, which is why they are reported and overridable.
    weights = write(tiny_state, tmp_path, "safetensors")
    config = tmp_path / "wrong.json"
    config.write_text(json.dumps({"text": {"num_attention_heads": 1}, "image": {"num_attention_heads": 4},
                                  "fusion_heads": 4}))
    batch = inputs()
    expected = reference_logits(tiny_state, **batch, **TINY_HEADS)
    assert not torch.allclose(model_logits(load_mmtd(weights, config), batch), expected, atol=1e-4)


def test_transformers5_names_are_accepted(tmp_path: Path, tiny_state: dict, heads_config: Path) -> None:
    loaded = load_mmtd(write(tiny_state, tmp_path / "a", "bin"), heads_config)
    new_style = {k: v.clone() for k, v in loaded.model.state_dict().items()}  # 5.x names, no position_ids
    again = load_mmtd(write(new_style, tmp_path / "b", "safetensors"), heads_config)
    assert again.info.renamed == 0 and again.info.dropped == []
    batch = inputs()
    assert torch.equal(model_logits(again, batch), model_logits(loaded, batch))


@pytest.mark.parametrize("fmt", ["bin", "safetensors"])
def test_save_checkpoint_writes_the_original_layout(tmp_path: Path, tiny_state: dict, heads_config: Path, fmt: str) -> None:
    loaded = load_mmtd(write(tiny_state, tmp_path / "in", "bin"), heads_config)
    original = original_state_dict(loaded.model)
    assert sorted(original) == sorted(tiny_state)  # exactly the 4.x file's names
    for key, tensor in tiny_state.items():
        assert torch.equal(original[key], tensor), key

    path = save_checkpoint(loaded.model, tmp_path / "checkpoint-7", format=fmt)
    assert path.name == ("model.safetensors" if fmt == "safetensors" else "pytorch_model.bin")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind
    # Regression: the temporary file's private 0600 mode leaked into shared checkpoints.
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    reloaded = load_mmtd(tmp_path / "checkpoint-7", heads_config)
    assert reloaded.info.n_entries == len(tiny_state) and reloaded.info.renamed == 34
    batch = inputs()
    assert torch.equal(model_logits(reloaded, batch), model_logits(loaded, batch))


def test_original_state_dict_of_base_model_is_the_431_entry_layout() -> None:
    layout = json.loads(_layout_file().read_text())["layout"]
    with torch.device("meta"):
        model = MMTD(mmtd_base_config())
    state = original_state_dict(model)
    assert {k: list(v.shape) for k, v in state.items()} == {e["key"]: e["shape"] for e in layout}


@pytest.mark.slow  # a full-size (1.1 GB) checkpoint written and read back: the slow step of .ci/run
def test_full_size_checkpoint_passes_inspect(tmp_path: Path) -> None:
    """A base-size (≈1.1 GB) checkpoint from the shared layout: all 431 entries accounted for."""
    layout = json.loads(_layout_file().read_text())["layout"]
    state = {e["key"]: torch.zeros(e["shape"], dtype=getattr(torch, e["dtype"])) for e in layout}
    state[LEGACY_POSITION_IDS] = torch.arange(512).unsqueeze(0)
    weights = tmp_path / "checkpoint-6000" / "model.safetensors"
    weights.parent.mkdir()
    save_file(state, str(weights))
    n_parameters = sum(v.numel() for k, v in state.items() if k != LEGACY_POSITION_IDS)
    del state

    info = inspect_checkpoint(weights.parent)
    assert info["n_entries"] == 431
    assert info["dropped"] == [LEGACY_POSITION_IDS]
    assert info["renamed"] == 12 * 17  # every BEiT layer entry, nothing else
    assert info["parameter_count"] == n_parameters == 269_771_270
    assert info["architecture"] == mmtd_base_config().to_dict()
    assert len(info["sha256"]) == 64
    assert info["non_finite"] == []  # every value was read and checked
    json.dumps(info)  # plain JSON


# ------------------------------------------------------------------------------------------------
# refusals: one line, naming the file or the keys
# ------------------------------------------------------------------------------------------------
def _refused(path: Path, *fragments: str, model_config: Path | None = None) -> str:
    with pytest.raises(CheckpointError) as error:
        load_mmtd(path, model_config=model_config)
    message = error.value.message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    # inspect refuses the same inputs with the same message
    with pytest.raises(CheckpointError) as again:
        inspect_checkpoint(path, model_config=model_config)
    assert again.value.message == message
    return message


@pytest.mark.parametrize("fmt", ["bin", "safetensors"])
def test_truncated_file(tmp_path: Path, tiny_state: dict, heads_config: Path, fmt: str) -> None:
    weights = write(tiny_state, tmp_path, fmt)
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    _refused(weights, str(weights), "truncated or corrupt", model_config=heads_config)


def test_missing_key(tmp_path: Path, tiny_state: dict, heads_config: Path) -> None:
    state = dict(tiny_state)
    del state["image_encoder.beit.encoder.layer.1.lambda_2"]
    weights = write(state, tmp_path, "safetensors")
    # reported under the name the user's (4.x) file would have used
    _refused(weights, "1 missing", "image_encoder.beit.encoder.layer.1.lambda_2", model_config=heads_config)


def test_unexpected_key(tmp_path: Path, tiny_state: dict, heads_config: Path) -> None:
    state = dict(tiny_state)
    state["text_encoder.bert.embeddings.extra_table.weight"] = torch.zeros(3, 32)
    weights = write(state, tmp_path, "bin")
    _refused(weights, "1 unexpected", "text_encoder.bert.embeddings.extra_table.weight", model_config=heads_config)


def test_misshaped_key(tmp_path: Path, tiny_state: dict, heads_config: Path) -> None:
    state = dict(tiny_state)
    state["text_encoder.bert.encoder.layer.1.output.dense.weight"] = torch.zeros(32, 65)
    weights = write(state, tmp_path, "safetensors")
    _refused(weights, "1 mis-shaped", "text_encoder.bert.encoder.layer.1.output.dense.weight [32, 65] vs model [32, 64]",
             model_config=heads_config)


def test_position_ids_must_be_the_identity(tmp_path: Path, tiny_state: dict, heads_config: Path) -> None:
    state = dict(tiny_state)
    state[LEGACY_POSITION_IDS] = torch.arange(64).flip(0).unsqueeze(0)
    _refused(write(state, tmp_path, "bin"), LEGACY_POSITION_IDS, "not arange", model_config=heads_config)


class _Payload:
    """A pickle that would run a shell command when unpickled without weights_only."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_payload_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    weights = tmp_path / "pytorch_model.bin"
    torch.save({"text_encoder.bert.embeddings.word_embeddings.weight": _Payload(marker)}, weights)
    _refused(weights, str(weights), "weights_only")
    assert not marker.exists()
    # sanity: the payload is real (plain pickle would run it)
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


def test_not_a_checkpoint(tmp_path: Path) -> None:
    listing = tmp_path / "list.bin"
    torch.save([torch.zeros(2)], listing)
    _refused(listing, str(listing), "not a state dict")
    other = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2)}, str(other))
    _refused(other, "missing entry text_encoder.bert.embeddings.word_embeddings.weight")
    text = tmp_path / "notes.txt"
    text.write_text("hello, not weights at all\n")
    _refused(text, str(text))
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    _refused(empty, "empty file")


def test_missing_paths(tmp_path: Path, tiny_state: dict) -> None:
    _refused(tmp_path / "checkpoint-404", "Checkpoint not found", str(tmp_path / "checkpoint-404"))
    (tmp_path / "checkpoint-3").mkdir()
    (tmp_path / "checkpoint-3" / "trainer_state.json").write_text("{}")
    _refused(tmp_path / "checkpoint-3", "model.safetensors", "pytorch_model.bin")
    weights = write(tiny_state, tmp_path / "ok", "bin")
    _refused(weights, "Model config not found", model_config=tmp_path / "nope.json")


def test_bad_model_config(tmp_path: Path, tiny_state: dict) -> None:
    weights = write(tiny_state, tmp_path, "safetensors")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"text": {"num_attention_heads": 2}, "colour": "blue"}))
    _refused(weights, str(config), "colour", model_config=config)
    config.write_text(json.dumps({"text": {"num_attention_heads": 5}, "image": {"num_attention_heads": 4},
                                  "fusion_heads": 4}))
    _refused(weights, "not divisible by 5 heads", model_config=config)
    config.write_text(json.dumps({"text": {"num_attention_heads": 2, "hidden_size": 64},
                                  "image": {"num_attention_heads": 4}, "fusion_heads": 4}))
    _refused(weights, "contradicts the checkpoint", model_config=config)
    config.write_text("{not json")
    _refused(weights, "not a readable JSON", model_config=config)
