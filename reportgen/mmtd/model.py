"""The MMTD model: BERT text encoder + BEiT/DiT image encoder + one fusion transformer layer.

Mirrors the original MMTD ``forward`` and its state-dict names (``text_encoder.``,
``image_encoder.``, ``multi_modality_transformer_layer.``, ``pooler.0.``, ``classifier.``) while the
encoders are transformers' own ``BertForSequenceClassification`` / ``BeitForImageClassification``.
Only the last hidden states of the encoders are used; their poolers and classifiers are carried
because real checkpoints contain them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from transformers import BeitConfig, BeitForImageClassification, BertConfig, BertForSequenceClassification

#: Index of the spam class in the two logits (class 0 = ham).
SPAM = 1
HAM = 0


@dataclass
class MMTDConfig:
    """Everything needed to build an MMTD of any size.

    Attributes:
        text: configuration of the BERT text encoder.
        image: configuration of the BEiT (DiT) image encoder.
        fusion_heads: attention heads of the fusion ``TransformerEncoderLayer`` (8 in MMTD).
        fusion_feedforward: its feed-forward width (PyTorch's default, 2048, in MMTD).
        num_labels: width of the final classifier (2: ham, spam).
    """

    text: BertConfig
    image: BeitConfig
    fusion_heads: int = 8
    fusion_feedforward: int = 2048
    num_labels: int = 2
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hidden_size(self) -> int:
        return int(self.text.hidden_size)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON summary (used by ``inspect`` and results.json)."""
        keys_text = (
            "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
            "max_position_embeddings", "type_vocab_size",
        )
        keys_image = (
            "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "image_size",
            "patch_size", "num_channels", "use_absolute_position_embeddings", "use_relative_position_bias",
            "use_shared_relative_position_bias", "layer_scale_init_value", "use_mean_pooling", "use_mask_token",
        )
        return {
            "text": {k: getattr(self.text, k) for k in keys_text},
            "image": {k: getattr(self.image, k) for k in keys_image},
            "fusion": {
                "d_model": self.hidden_size,
                "nhead": self.fusion_heads,
                "dim_feedforward": self.fusion_feedforward,
                "norm_first": False,
                "activation": "relu",
            },
            "num_labels": self.num_labels,
        }


class MMTD(nn.Module):
    """Multilingual, multimodal spam detector (Zhang et al.), compatible with its checkpoints."""

    # Lets transformers' conversion mapping scope the BEiT renamings under ``image_encoder.``.
    base_model_prefix = ""

    def __init__(self, config: MMTDConfig) -> None:
        super().__init__()
        self.config = config
        self.text_encoder = BertForSequenceClassification(config.text)
        self.image_encoder = BeitForImageClassification(config.image)
        hidden = config.hidden_size
        self.multi_modality_transformer_layer = nn.TransformerEncoderLayer(
            d_model=hidden,
            nhead=config.fusion_heads,
            dim_feedforward=config.fusion_feedforward,
            batch_first=True,
        )
        self.pooler = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh())
        self.classifier = nn.Linear(hidden, config.num_labels)
        self.eval()

    # -- encoders -----------------------------------------------------------------------------
    def encode_text(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> Any:
        """Run BERT; ``.last_hidden_state`` equals the original's ``hidden_states[12]``."""
        return self.text_encoder.bert(
            input_ids=input_ids,
            token_type_ids=token_type_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
        )

    def encode_image(self, pixel_values: torch.Tensor, output_attentions: bool = False) -> Any:
        """Run BEiT; ``.hidden_states[-1]`` is the last layer's output, as the original used."""
        return self.image_encoder.beit(
            pixel_values=pixel_values, output_hidden_states=True, output_attentions=output_attentions
        )

    # -- fusion and head ----------------------------------------------------------------------
    def fuse(self, text_hidden: torch.Tensor, image_hidden: torch.Tensor) -> torch.Tensor:
        """Fusion layer + pooler + classifier on the two encoders' last hidden states.

        The original adds 0 to the text states and 1 to the image states to mark the modality,
        concatenates them along the sequence and passes no padding mask.
        """
        fused_input = self.fusion_input(text_hidden, image_hidden)
        fused = self.multi_modality_transformer_layer(fused_input)
        return self.classifier(self.pooler(fused[:, 0, :]))

    @staticmethod
    def fusion_input(text_hidden: torch.Tensor, image_hidden: torch.Tensor) -> torch.Tensor:
        """The sequence the fusion layer sees: ``[text + 0.0, image + 1.0]``."""
        return torch.cat([text_hidden + 0.0, image_hidden + 1.0], dim=1)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        pixel_values: torch.Tensor,
    ) -> torch.Tensor:
        """Return the logits ``[batch, 2]`` (column 0 ham, column 1 spam)."""
        text_hidden = self.encode_text(input_ids, token_type_ids, attention_mask).last_hidden_state
        image_hidden = self.encode_image(pixel_values).hidden_states[-1]
        return self.fuse(text_hidden, image_hidden)

    def set_attention_implementation(self, name: str) -> None:
        """Switch both encoders between ``"sdpa"`` (fast) and ``"eager"`` (returns attention weights)."""
        self.text_encoder.set_attn_implementation(name)
        self.image_encoder.set_attn_implementation(name)


def spam_log_odds(logits: torch.Tensor) -> torch.Tensor:
    """The quantity reportgen explains: ``logit_spam - logit_ham`` (positive = toward spam)."""
    return logits[..., SPAM] - logits[..., HAM]


def mmtd_base_config() -> MMTDConfig:
    """The published MMTD shape: bert-base-multilingual-cased + microsoft/dit-base (~270 M parameters)."""
    text = BertConfig(
        vocab_size=119547, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2,
    )
    image = BeitConfig(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        image_size=224, patch_size=16, num_channels=3, use_absolute_position_embeddings=True,
        use_relative_position_bias=False, use_shared_relative_position_bias=False,
        layer_scale_init_value=0.1, use_mean_pooling=True, use_mask_token=True,
    )
    return MMTDConfig(text=text, image=image, fusion_heads=8, fusion_feedforward=2048)
