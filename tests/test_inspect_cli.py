"""`reportgen inspect`: what a user sees for good and bad checkpoints."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from reportgen.mmtd.checkpoint import LEGACY_POSITION_IDS
from reportgen.cli import main
from test_checkpoint import _Payload, original_layout, random_state, write


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint-N/ folder in the original layout that loads with no extra flags (hidden 64)."""
    folder = tmp_path_factory.mktemp("ckpt") / "checkpoint-120"
    write(random_state(original_layout(hidden=64, intermediate=96, fusion_ff=80), seed=5), folder, "safetensors")
    return folder


def test_inspect_text(checkpoint: Path) -> None:
    result = CliRunner().invoke(main, ["inspect", str(checkpoint)])
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256((checkpoint / "model.safetensors").read_bytes()).hexdigest()
    out = result.output
    assert f"sha256       {digest}" in out
    assert "Entries      101 (100 float32, 1 int64); 100 loaded, 34 renamed" in out
    assert f"dropped: {LEGACY_POSITION_IDS}" in out
    parameters = sum(v.numel() for k, v in random_state(original_layout(hidden=64, intermediate=96, fusion_ff=80)).items()
                     if k != LEGACY_POSITION_IDS)
    assert f"Parameters   {parameters:,}" in out
    assert "vocab 51, hidden 64, layers 2, heads 1, intermediate 96, positions 64, token types 2" in out
    assert "image 32x32x3, patch 8" in out
    assert "absolute positions yes, relative position bias no, layer scale yes, mean pooling yes, mask token yes" in out
    assert "d_model 64, heads 8, feed-forward 80, relu, post-norm" in out
    assert "fusion heads = 8" in out  # the assumption is stated, not hidden


def test_inspect_json(checkpoint: Path, tmp_path: Path) -> None:
    config = tmp_path / "heads.json"
    config.write_text(json.dumps({"text": {"num_attention_heads": 2}, "image": {"num_attention_heads": 4},
                                  "fusion_heads": 4}))
    result = CliRunner().invoke(main, ["inspect", str(checkpoint), "--json", "--model-config", str(config)])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)  # plain JSON, nothing else on stdout
    assert info["format"] == "safetensors" and info["n_entries"] == 101 and info["renamed"] == 34
    assert info["file"] == str(checkpoint / "model.safetensors")
    assert info["dropped"] == [LEGACY_POSITION_IDS]
    arch = info["architecture"]
    assert (arch["text"]["num_attention_heads"], arch["image"]["num_attention_heads"], arch["fusion"]["nhead"]) == (2, 4, 4)
    assert arch["image"]["image_size"] == 32 and arch["num_labels"] == 2


def _one_line_error(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_bad_checkpoints_exit_1_with_one_line(tmp_path: Path, checkpoint: Path) -> None:
    line = _one_line_error(["inspect", str(tmp_path / "checkpoint-404")])
    assert "Checkpoint not found" in line

    truncated = tmp_path / "truncated" / "model.safetensors"
    truncated.parent.mkdir()
    data = (checkpoint / "model.safetensors").read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    assert str(truncated) in _one_line_error(["inspect", str(truncated.parent)])

    marker = tmp_path / "pwned"
    payload = tmp_path / "pytorch_model.bin"
    torch.save({"classifier.weight": _Payload(marker)}, payload)
    assert "weights_only" in _one_line_error(["inspect", str(payload), "--json"])
    assert not marker.exists()

    state = random_state(original_layout(hidden=64, intermediate=96, fusion_ff=80))
    del state["pooler.0.bias"]
    line = _one_line_error(["inspect", str(write(state, tmp_path / "missing", "bin"))])
    assert "1 missing: pooler.0.bias" in line


def test_help_does_not_import_torch() -> None:
    # `reportgen inspect --help` must be instant: run it in a fresh interpreter and look at sys.modules.
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from reportgen.cli import main; "
        "r = CliRunner().invoke(main, ['inspect', '--help']); assert r.exit_code == 0, r.output; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.stdout.strip() == "False"
