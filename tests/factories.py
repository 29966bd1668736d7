"""Tiny MMTD models, tokenizers and EDP folders that tests build themselves (no network)."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import BeitConfig, BertConfig

from reportgen.mmtd.model import MMTD, MMTDConfig

#: A word-level vocabulary big enough for the test e-mails (WordPiece with ## continuation pieces).
VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "win", "free", "money", "now", "click", "here", "prize", "offer", "cheap", "pills",
    "meeting", "tomorrow", "invoice", "attached", "hello", "team", "report", "lunch", "thanks",
    "the", "a", "to", "you", "for", "is", "of", "and", "in", "your", "we", "on", "at", ".", ",", "!",
    "un", "##believ", "##able", "##s", "##ing", "##ed", "hola", "gratis", "dinero", "привет", "деньги",
]


def tiny_config(vocab_size: int = len(VOCAB), hidden: int = 32, layers: int = 2, image_size: int = 32,
                patch: int = 8, max_positions: int = 64) -> MMTDConfig:
    """A small MMTD with the real architecture's switches (abs. positions, layer scale, mean pooling)."""
    text = BertConfig(
        vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=hidden // 16,
        intermediate_size=hidden * 2, max_position_embeddings=max_positions, type_vocab_size=2,
    )
    image = BeitConfig(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=hidden // 16,
        intermediate_size=hidden * 2, image_size=image_size, patch_size=patch, num_channels=3,
        use_absolute_position_embeddings=True, use_relative_position_bias=False,
        use_shared_relative_position_bias=False, layer_scale_init_value=0.1, use_mean_pooling=True,
        use_mask_token=True,
    )
    return MMTDConfig(text=text, image=image, fusion_heads=4, fusion_feedforward=hidden * 2)


def tiny_mmtd(seed: int = 0, **kwargs) -> MMTD:
    """A randomly initialised tiny MMTD in eval mode, reproducible from ``seed``."""
    torch.manual_seed(seed)
    return MMTD(tiny_config(**kwargs)).eval()


def write_cased_tokenizer(folder: Path) -> Path:
    """Write a cased BertTokenizerFast (like bert-base-multilingual-cased) over :data:`VOCAB` to ``folder``.

    transformers 5's ``BertTokenizerFast`` takes the vocabulary as ``vocab=`` and silently ignores
    ``vocab_file=``, which leaves a 5-token tokenizer that maps every word to [UNK]; this passes
    ``vocab=`` so test e-mails get real ids.
    """
    from transformers import BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file), do_lower_case=False)
    assert len(tokenizer) == len(VOCAB), "tokenizer did not read the vocabulary"
    tokenizer.save_pretrained(str(folder))
    return folder
