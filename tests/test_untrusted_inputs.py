"""Hostile or broken inputs on the loading side (issue 12): refused with one line, nothing run.

- tokenizer / image-processor folders that ask for custom code (``auto_map`` + ``evil.py``);
- checkpoints with NaN/Inf values, integer (quantised) weights, or damaged ``.bin`` bytes;
- finite weights whose logits overflow;
- ``--model-config`` values of the wrong type, and tokenizer configs that are not JSON objects.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from reportgen.mmtd.checkpoint import inspect_checkpoint, load_mmtd, save_checkpoint
from reportgen.cli import main
from reportgen.errors import CheckpointError, ReportgenError
from reportgen.mmtd.preprocessing import load_image_processor, load_tokenizer
from test_checkpoint import original_layout, random_state, write
from tests.edp import write_edp
from tests.factories import tiny_mmtd, write_cased_tokenizer

MAX_LENGTH = 24  # the tiny model has 64 text positions


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def _evil_module(folder: Path, marker: Path) -> None:
    """``evil.py``: importing it creates ``marker`` (what an attacker's code would do first)."""
    (folder / "evil.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('code from the input folder ran')\n"
        "from transformers import BertTokenizerFast, BeitImageProcessorPil, BertConfig\n"
        "class Tok(BertTokenizerFast):\n    pass\n"
        "class Proc(BeitImageProcessorPil):\n    pass\n"
        "class Cfg(BertConfig):\n    model_type = 'evil'\n",
        encoding="utf-8",
    )


@pytest.fixture(autouse=True)
def modules_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where transformers would copy ``evil.py`` if a regression let it: the test's folder, not ~/.cache."""
    monkeypatch.setattr("transformers.dynamic_module_utils.HF_MODULES_CACHE", str(tmp_path / "hf-modules"))


@pytest.fixture()
def no_prompt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A user who would answer "y" to any prompt; the list records every prompt shown."""
    prompts: list[str] = []

    def answer_yes(prompt: str = "") -> str:
        prompts.append(prompt)
        return "y"

    monkeypatch.setattr(builtins, "input", answer_yes)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    return prompts


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def _cli(args: list[str], stdin: str = "y\n"):
    return CliRunner().invoke(main, args, input=stdin)


def _assert_one_line_exit_1(result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# ------------------------------------------------------------------------------------------------
# 1. nothing from a tokenizer or image-processor folder runs
# ------------------------------------------------------------------------------------------------
def test_tokenizer_folder_asking_for_custom_code_is_refused_without_prompt(tmp_path: Path, no_prompt: list) -> None:
    folder = write_cased_tokenizer(tmp_path / "tok")
    marker = tmp_path / "pwned"
    _evil_module(folder, marker)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("tokenizer_class", None)  # no built-in class: transformers would prompt, then run evil.py
    config["auto_map"] = {"AutoTokenizer": ["evil.Tok", None]}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))

    with pytest.raises(ReportgenError) as error:
        load_tokenizer(str(folder))
    message = _one_line(error)
    assert str(folder / "tokenizer_config.json") in message and "auto_map" in message
    assert not marker.exists() and no_prompt == []


def test_custom_code_named_in_config_json_is_refused(tmp_path: Path, no_prompt: list) -> None:
    # A tokenizer config without a class makes AutoTokenizer read config.json, whose auto_map also runs code.
    folder = write_cased_tokenizer(tmp_path / "tok")
    marker = tmp_path / "pwned"
    _evil_module(folder, marker)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("tokenizer_class", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    (folder / "config.json").write_text(json.dumps(
        {"model_type": "evil", "auto_map": {"AutoConfig": "evil.Cfg", "AutoTokenizer": ["evil.Tok", None]}}
    ))
    with pytest.raises(ReportgenError) as error:
        load_tokenizer(str(folder))
    assert str(folder / "config.json") in _one_line(error)
    assert not marker.exists() and no_prompt == []


def test_image_processor_folder_asking_for_custom_code_is_refused(tmp_path: Path, no_prompt: list) -> None:
    from transformers import BeitImageProcessorPil

    folder = tmp_path / "proc"
    BeitImageProcessorPil(size={"height": 32, "width": 32}).save_pretrained(str(folder))
    marker = tmp_path / "pwned"
    _evil_module(folder, marker)
    config = json.loads((folder / "preprocessor_config.json").read_text())
    config.pop("image_processor_type", None)
    config["auto_map"] = {"AutoImageProcessor": "evil.Proc"}
    (folder / "preprocessor_config.json").write_text(json.dumps(config))

    with pytest.raises(ReportgenError) as error:
        load_image_processor(str(folder), 32)
    message = _one_line(error)
    assert str(folder / "preprocessor_config.json") in message and "auto_map" in message
    assert not marker.exists() and no_prompt == []


def test_cached_hub_id_asking_for_custom_code_is_refused(tmp_path: Path) -> None:
    """``--tokenizer org/name`` resolves to the Hugging Face cache; the same rule applies there.

    Run in a fresh interpreter, so transformers itself sees the test's cache (HF_HUB_CACHE is read at
    import), and with "y" on stdin, as ``yes | reportgen ...`` would give.
    """
    commit = "0123456789abcdef0123456789abcdef01234567"
    cache = tmp_path / "hub"
    snapshot = cache / "models--someone--tok" / "snapshots" / commit
    write_cased_tokenizer(snapshot)
    (cache / "models--someone--tok" / "refs").mkdir()
    (cache / "models--someone--tok" / "refs" / "main").write_text(commit)
    marker = tmp_path / "pwned"
    _evil_module(snapshot, marker)
    (snapshot / "tokenizer_config.json").write_text(json.dumps({"auto_map": {"AutoTokenizer": ["evil.Tok", None]}}))
    (snapshot / "config.json").write_text("{}")  # no model type: transformers has no built-in class to fall back on

    code = "from reportgen.mmtd.preprocessing import load_tokenizer; load_tokenizer('someone/tok')"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache),
           "HF_MODULES_CACHE": str(tmp_path / "hf-modules")}
    run = subprocess.run([sys.executable, "-c", code], input="y\n" * 10, capture_output=True, text=True,
                         env=env, timeout=600)
    assert run.returncode != 0, run.stdout + run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert "ReportgenError" in last and "tokenizer_config.json" in last and "auto_map" in last, run.stderr
    assert "[y/N]" not in run.stdout + run.stderr
    assert not marker.exists()


def test_tokenizer_is_loaded_with_trust_remote_code_false(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second guard: even a config the pre-check does not read cannot make transformers prompt."""
    from transformers import AutoTokenizer

    seen: dict = {}
    real = AutoTokenizer.from_pretrained

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", spy)
    assert load_tokenizer(str(write_cased_tokenizer(tmp_path / "tok"))).is_fast
    assert seen["trust_remote_code"] is False and seen["local_files_only"] is True


@pytest.mark.parametrize("content", ["[1, 2, 3]", '"BertTokenizerFast"', "{broken"])
def test_tokenizer_config_that_is_not_a_json_object_is_one_line(tmp_path: Path, content: str) -> None:
    folder = write_cased_tokenizer(tmp_path / "tok")
    (folder / "tokenizer_config.json").write_text(content)
    with pytest.raises(ReportgenError) as error:
        load_tokenizer(str(folder))
    message = _one_line(error)
    assert str(folder / "tokenizer_config.json") in message and "--tokenizer" in message


def test_cli_with_yes_on_stdin_runs_nothing(tmp_path: Path) -> None:
    """`yes | reportgen predict --tokenizer EVIL`: one line, exit 1, no code run, no CSV."""
    folder = write_cased_tokenizer(tmp_path / "tok")
    marker = tmp_path / "pwned"
    _evil_module(folder, marker)
    (folder / "tokenizer_config.json").write_text(json.dumps({"auto_map": {"AutoTokenizer": ["evil.Tok", None]}}))
    csv, pics = write_edp(tmp_path / "edp", n=2)
    out = tmp_path / "p.csv"
    never_read = tmp_path / "model.safetensors"  # the tokenizer is refused before any checkpoint is read
    never_read.write_bytes(b"not reached")
    result = _cli(["predict", "--checkpoint", str(never_read), "--tokenizer", str(folder),
                   "--data", str(csv), "--images", str(pics), "--device", "cpu", "--no-progress",
                   "--out", str(out)], stdin="y\n" * 10)
    line = _assert_one_line_exit_1(result)
    assert "auto_map" in line and "tokenizer_config.json" in line
    assert "[y/N]" not in result.output
    assert not marker.exists() and not out.exists()


# ------------------------------------------------------------------------------------------------
# 3. non-finite weights and logits
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def state64() -> dict[str, torch.Tensor]:
    """Hidden 64: loads without --model-config (heads = hidden / 64)."""
    return random_state(original_layout(hidden=64, intermediate=96, fusion_ff=80), seed=7)


NAN_KEY = "text_encoder.bert.encoder.layer.1.attention.self.value.weight"
INF_KEY = "image_encoder.beit.encoder.layer.0.lambda_1"


def _poisoned(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    state = dict(state)
    state[NAN_KEY] = state[NAN_KEY].clone()
    state[NAN_KEY][3, :2] = float("nan")
    state[INF_KEY] = state[INF_KEY].clone()
    state[INF_KEY][0] = float("-inf")
    return state


@pytest.mark.parametrize("fmt", ["bin", "safetensors"])
def test_non_finite_weights_are_refused_naming_the_tensors(tmp_path: Path, state64: dict, fmt: str) -> None:
    weights = write(_poisoned(state64), tmp_path / "checkpoint-1", fmt)
    with pytest.raises(CheckpointError) as error:
        load_mmtd(weights.parent)
    message = _one_line(error)
    assert str(weights) in message and "2 tensors hold NaN or infinite values" in message
    assert f"{NAN_KEY} (2 of 4,096 values)" in message and f"{INF_KEY} (1 of 64 values)" in message

    info = inspect_checkpoint(weights.parent)  # inspect reports them instead of refusing
    assert {e["key"]: (e["count"], e["numel"]) for e in info["non_finite"]} == {NAN_KEY: (2, 4096), INF_KEY: (1, 64)}


def test_many_non_finite_tensors_list_the_first_five(tmp_path: Path, state64: dict) -> None:
    state = {k: (torch.full_like(v, float("nan")) if v.is_floating_point() else v) for k, v in state64.items()}
    weights = write(state, tmp_path, "safetensors")
    with pytest.raises(CheckpointError) as error:
        load_mmtd(weights)
    message = _one_line(error)
    n_float = sum(v.is_floating_point() for v in state.values())
    assert f"{n_float} tensors hold NaN" in message and f"(+{n_float - 5} more)" in message


def test_inspect_reports_non_finite_weights_in_text_and_json(tmp_path: Path, state64: dict) -> None:
    weights = write(_poisoned(state64), tmp_path / "checkpoint-1", "safetensors")
    result = _cli(["inspect", str(weights.parent)])
    line = _assert_one_line_exit_1(result)
    assert NAN_KEY in line and INF_KEY in line
    assert "Values       NaN/Inf in 2 tensors" in result.stdout  # the architecture report is still shown
    assert f"  {NAN_KEY}: 2 of 4,096 values" in result.stdout and "vocab 51, hidden 64" in result.stdout

    result = _cli(["inspect", str(weights.parent), "--json"])
    _assert_one_line_exit_1(result)
    info = json.loads(result.stdout)  # stdout stays plain JSON
    assert {e["key"]: e["count"] for e in info["non_finite"]} == {NAN_KEY: 2, INF_KEY: 1}

    clean = write(state64, tmp_path / "clean", "safetensors")
    result = _cli(["inspect", str(clean.parent), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["non_finite"] == []
    assert "Values       all finite" in _cli(["inspect", str(clean.parent)]).stdout


@pytest.fixture()
def project(tmp_path: Path) -> dict:
    """A tiny checkpoint whose weights are finite but overflow float32 in the classifier."""
    model = tiny_mmtd(seed=3)
    with torch.no_grad():
        model.pooler[0].weight.zero_()
        model.pooler[0].bias.fill_(1.0)  # tanh(1) > 0 in every position
        model.classifier.weight.fill_(3e38)  # finite, but 32 * 3e38 * 0.76 overflows to +inf
    save_checkpoint(model, tmp_path / "checkpoint-1", format="safetensors")
    heads = tmp_path / "heads.json"
    heads.write_text(json.dumps({"text": {"num_attention_heads": 2}, "image": {"num_attention_heads": 2},
                                 "fusion_heads": 4}))
    csv, pics = write_edp(tmp_path / "edp", n=3)
    args = ["--checkpoint", str(tmp_path / "checkpoint-1"), "--model-config", str(heads),
            "--tokenizer", str(write_cased_tokenizer(tmp_path / "tok")), "--max-length", str(MAX_LENGTH),
            "--device", "cpu", "--data", str(csv), "--images", str(pics), "--no-progress"]
    return {"args": args, "tmp": tmp_path}


def test_non_finite_logits_stop_predict_without_a_csv(project: dict) -> None:
    out = project["tmp"] / "out" / "p.csv"
    result = _cli(["predict", *project["args"], "--out", str(out)])
    line = _assert_one_line_exit_1(result)
    assert "NaN or infinite for 3 of 3 e-mails (data rows 0, 1, 2)" in line
    assert not out.exists()


# ------------------------------------------------------------------------------------------------
# 6. --model-config values of the wrong type
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ({"text": {"hidden_act": "nonsense_act"}}, ["text.hidden_act", "nonsense_act", "gelu", "relu"]),
        ({"image": {"layer_norm_eps": "abc"}}, ["image.layer_norm_eps", "expected float"]),
        ({"text": {"num_attention_heads": True}}, ["text.num_attention_heads", "expected int", "bool"]),
        ({"fusion_heads": True}, ["fusion_heads", "positive integer", "true"]),
        ({"fusion_heads": "8"}, ["fusion_heads", "positive integer", '"8"']),
        ({"image": {"num_attention_heads": 2.0}}, ["image.num_attention_heads", "expected int"]),
        ({"image": {"colour": "blue"}}, ["unknown image-encoder setting 'colour'"]),
    ],
)
def test_model_config_values_of_the_wrong_type_are_one_line(
    tmp_path: Path, state64: dict, config: dict, fragments: list[str]
) -> None:
    weights = write(state64, tmp_path, "safetensors")
    path = tmp_path / "model-config.json"
    path.write_text(json.dumps(config))
    for load in (load_mmtd, inspect_checkpoint):
        with pytest.raises(CheckpointError) as error:
            load(weights, model_config=path)
        message = _one_line(error)
        assert str(path) in message
        for fragment in fragments:
            assert fragment in message, message


def test_model_config_of_the_right_types_still_loads(tmp_path: Path, state64: dict) -> None:
    weights = write(state64, tmp_path, "safetensors")
    path = tmp_path / "model-config.json"
    path.write_text(json.dumps({"text": {"hidden_act": "gelu", "layer_norm_eps": 1e-12, "num_attention_heads": 1},
                                "image": {"hidden_dropout_prob": 0}, "fusion_heads": 8}))
    loaded = load_mmtd(weights, model_config=path)
    assert loaded.info.config.text.hidden_act == "gelu" and loaded.info.config.fusion_heads == 8


# ------------------------------------------------------------------------------------------------
# 11. quantised and damaged checkpoints
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["bin", "safetensors"])
def test_integer_weights_are_refused_naming_tensor_and_dtype(tmp_path: Path, state64: dict, fmt: str) -> None:
    key = "text_encoder.bert.encoder.layer.0.attention.self.query.weight"
    state = dict(state64)
    state[key] = (state[key] * 127).round().clamp(-128, 127).to(torch.int8)
    state["classifier.weight"] = state["classifier.weight"].to(torch.int8)
    weights = write(state, tmp_path, fmt)
    for load in (load_mmtd, inspect_checkpoint):
        with pytest.raises(CheckpointError) as error:
            load(weights)
        message = _one_line(error)
        assert f"{key} (int8)" in message and "classifier.weight (int8)" in message
        assert "2 weights not stored as floating point" in message and "quantised" in message


def test_half_precision_weights_still_load(tmp_path: Path, state64: dict) -> None:
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in state64.items()}
    loaded = load_mmtd(write(state, tmp_path, "safetensors"))
    assert loaded.model.classifier.weight.dtype == torch.float32
    assert torch.equal(loaded.model.classifier.weight, state["classifier.weight"].float())


def _zero_tensor_bytes(weights: Path) -> None:
    """Overwrite part of a tensor's stored bytes with zeros, as a bad disk or copy would."""
    with zipfile.ZipFile(weights) as archive:
        info = max(archive.infolist(), key=lambda item: item.file_size)  # the largest tensor record
    data = bytearray(weights.read_bytes())
    name_length, extra_length = (int.from_bytes(data[info.header_offset + i:info.header_offset + i + 2], "little")
                                 for i in (26, 28))
    start = info.header_offset + 30 + name_length + extra_length + 64
    data[start:start + 256] = bytes(256)
    weights.write_bytes(bytes(data))


def test_bin_with_zeroed_tensor_bytes_is_refused(tmp_path: Path, state64: dict) -> None:
    weights = write(state64, tmp_path / "checkpoint-1", "bin")
    load_mmtd(weights)  # intact: loads
    damaged = tmp_path / "damaged" / "pytorch_model.bin"
    damaged.parent.mkdir()
    shutil.copy(weights, damaged)
    _zero_tensor_bytes(damaged)
    # torch.load itself accepts the damaged file: the zeros would become weights silently.
    assert isinstance(torch.load(damaged, weights_only=True), dict)
    for load in (load_mmtd, inspect_checkpoint):
        with pytest.raises(CheckpointError) as error:
            load(damaged)
        message = _one_line(error)
        assert str(damaged) in message and "CRC-32" in message


def test_bin_saved_without_crcs_still_loads(tmp_path: Path, state64: dict) -> None:
    """torch can skip the CRCs (set_crc32_options(False)); such a file is not damaged, only unverifiable."""
    from torch.serialization import get_crc32_options, set_crc32_options

    before = get_crc32_options()
    set_crc32_options(False)
    try:
        weights = write(state64, tmp_path, "bin")
    finally:
        set_crc32_options(before)
    with zipfile.ZipFile(weights) as archive:
        assert {entry.CRC for entry in archive.infolist()} == {0}
    loaded = load_mmtd(weights)
    assert torch.equal(loaded.model.classifier.weight, state64["classifier.weight"])
