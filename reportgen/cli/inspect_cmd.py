"""``reportgen inspect CHECKPOINT``: what a checkpoint holds, before anything is run on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


@click.command("inspect")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print plain JSON instead of text.")
@click.option(
    "--model-config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help='JSON with values the weights do not store, e.g. {"text": {"num_attention_heads": 12}, '
    '"image": {"num_attention_heads": 12}, "fusion_heads": 8}.',
)
def inspect_command(checkpoint: Path, as_json: bool, model_config: Path | None) -> None:
    """Show the architecture inferred from CHECKPOINT, its size, sha256 and key diagnostics.

    CHECKPOINT is a checkpoint-N/ folder or a model.safetensors / pytorch_model.bin file. Every entry
    is checked against the inferred MMTD architecture; a mismatch is reported and exits 1. Tensors
    holding NaN/Inf values are listed (JSON: "non_finite") after the architecture, and exit 1 too.
    """
    # Imported here: torch is heavy and `reportgen --help` must stay instant.
    from reportgen.errors import CheckpointError
    from reportgen.mmtd.checkpoint import inspect_checkpoint, non_finite_message

    info = inspect_checkpoint(checkpoint, model_config)
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo(format_info(info))
    if info["non_finite"]:  # the report above is shown, but the checkpoint is not usable
        bad = [(entry["key"], entry["count"], entry["numel"]) for entry in info["non_finite"]]
        raise CheckpointError(non_finite_message(info["file"], bad))


def format_info(info: dict[str, Any]) -> str:
    """Human-readable summary of ``inspect_checkpoint``'s dict."""
    arch = info["architecture"]
    text, image, fusion = arch["text"], arch["image"], arch["fusion"]
    dropped = ", ".join(info["dropped"]) or "none"
    dtypes = ", ".join(f"{n} {dtype}" for dtype, n in info["dtypes"].items())
    loaded = info["n_entries"] - len(info["dropped"])
    non_finite = info.get("non_finite", [])
    lines = [
        f"Checkpoint   {info['file']} ({info['format']})",
        f"sha256       {info['sha256']}",
        f"Entries      {info['n_entries']} ({dtypes}); {loaded} loaded, "
        f"{info['renamed']} renamed from transformers-4.x names, dropped: {dropped}",
        f"Parameters   {info['parameter_count']:,}",
        f"Values       {f'NaN/Inf in {len(non_finite)} tensors (listed below)' if non_finite else 'all finite'}",
        "",
        "Text encoder (BERT)",
        f"  vocab {text['vocab_size']:,}, hidden {text['hidden_size']}, layers {text['num_hidden_layers']}, "
        f"heads {text['num_attention_heads']}, intermediate {text['intermediate_size']}, "
        f"positions {text['max_position_embeddings']}, token types {text['type_vocab_size']}",
        "Image encoder (BEiT/DiT)",
        f"  image {image['image_size']}x{image['image_size']}x{image['num_channels']}, patch {image['patch_size']}, "
        f"hidden {image['hidden_size']}, layers {image['num_hidden_layers']}, heads {image['num_attention_heads']}, "
        f"intermediate {image['intermediate_size']}",
        f"  absolute positions {_yes(image['use_absolute_position_embeddings'])}, relative position bias "
        f"{_yes(image['use_relative_position_bias'] or image['use_shared_relative_position_bias'])}, layer scale "
        f"{_yes(image['layer_scale_init_value'] > 0)}, mean pooling {_yes(image['use_mean_pooling'])}, "
        f"mask token {_yes(image['use_mask_token'])}",
        "Fusion (TransformerEncoderLayer)",
        f"  d_model {fusion['d_model']}, heads {fusion['nhead']}, feed-forward {fusion['dim_feedforward']}, "
        f"{fusion['activation']}, {'pre' if fusion['norm_first'] else 'post'}-norm; "
        f"pooler Linear+Tanh, classifier {arch['num_labels']} classes",
    ]
    if info.get("assumptions"):
        lines += ["", "Not stored in the weights (override with --model-config):"]
        lines += [f"  {line}" for line in info["assumptions"]]
    if non_finite:
        lines += ["", "Tensors with NaN/Inf values (the checkpoint cannot be used):"]
        lines += [f"  {e['key']}: {e['count']:,} of {e['numel']:,} values" for e in non_finite]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
