"""What "no text" and "no picture" mean, and the plumbing every explanation method shares.

The text baseline is ``[CLS] [PAD] … [PAD] [SEP]`` with the input's mask and positions; the
picture baseline a blank white page (or black, or a blurred copy) in the model's normalised pixel
space. Integrated Gradients integrates from this baseline, the Shapley split uses it for a missing
modality, and occlusion fills removed words and patches with it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping

import torch

from reportgen.mmtd.model import MMTD
from reportgen.options import ExplainOptions


def device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def prepare_inputs(model: MMTD, encoded: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Check that ``encoded`` holds ONE sample and move it to the model's device.

    Args:
        model: the MMTD.
        encoded: ``Preprocessor.encode`` output (input_ids, attention_mask, pixel_values and
            optionally token_type_ids), batch size 1.

    Returns:
        The four tensors on the model's device (token_type_ids filled with zeros if absent).
    """
    missing = [k for k in ("input_ids", "attention_mask", "pixel_values") if k not in encoded]
    if missing:
        raise ValueError(f"encoded sample lacks {', '.join(missing)}")
    input_ids = encoded["input_ids"]
    if input_ids.dim() != 2 or input_ids.shape[0] != 1:
        raise ValueError(f"explain one sample at a time: input_ids has shape {tuple(input_ids.shape)}")
    device = device_of(model)
    token_type_ids = encoded.get("token_type_ids")
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    return {
        "input_ids": input_ids.to(device),
        "token_type_ids": token_type_ids.to(device),
        "attention_mask": encoded["attention_mask"].to(device),
        "pixel_values": encoded["pixel_values"].to(device=device, dtype=next(model.parameters()).dtype),
    }


def text_baseline_ids(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, special_ids: Mapping[str, int]
) -> torch.Tensor:
    """``[CLS] [PAD] … [PAD] [SEP] [PAD] …``: every real non-special token replaced by ``[PAD]``.

    CLS, SEP and PAD positions are kept, so the baseline has the input's length, attention mask and
    positions and only the word content is removed.

    Args:
        input_ids: ``[B, L]`` token ids.
        attention_mask: ``[B, L]`` (1 = real token).
        special_ids: ``{"cls": id, "sep": id, "pad": id}``.

    Returns:
        Baseline ids of the same shape.
    """
    for key in ("cls", "sep", "pad"):
        if key not in special_ids:
            raise ValueError(f"special_ids lacks {key!r}")
    # [PAD] ids need no keeping: they are replaced by [PAD] anyway.
    keep = (attention_mask == 0) | (input_ids == special_ids["cls"]) | (input_ids == special_ids["sep"])
    return torch.where(keep, input_ids, torch.full_like(input_ids, int(special_ids["pad"])))


def _gaussian_blur(pixel_values: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``[B, C, H, W]`` with reflected borders (no torchvision needed)."""
    radius = max(1, int(math.ceil(3 * sigma)))
    radius = min(radius, pixel_values.shape[-1] - 1, pixel_values.shape[-2] - 1)
    offsets = torch.arange(-radius, radius + 1, dtype=pixel_values.dtype, device=pixel_values.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = pixel_values.shape[1]
    out = torch.nn.functional.pad(pixel_values, (radius, radius, radius, radius), mode="reflect")
    out = torch.nn.functional.conv2d(out, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return torch.nn.functional.conv2d(out, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def image_baseline(pixel_values: torch.Tensor, options: ExplainOptions) -> torch.Tensor:
    """The image baseline in the model's normalised pixel space.

    ``white`` is raw pixel 255 and ``black`` raw pixel 0 after the processor's normalisation
    ``(x / 255 - mean) / std`` (+1.0 and -1.0 for DiT's mean = std = 0.5); ``blur`` blurs the
    normalised picture itself (normalisation is affine per channel, so this equals blurring the
    resized picture and normalising it).
    """
    mean = torch.tensor(options.pixel_mean, dtype=pixel_values.dtype, device=pixel_values.device).view(1, -1, 1, 1)
    std = torch.tensor(options.pixel_std, dtype=pixel_values.dtype, device=pixel_values.device).view(1, -1, 1, 1)
    if options.image_baseline == "white":
        return ((1.0 - mean) / std).expand_as(pixel_values).clone()
    if options.image_baseline == "black":
        return ((0.0 - mean) / std).expand_as(pixel_values).clone()
    return _gaussian_blur(pixel_values, options.blur_sigma)


def baseline_inputs(
    inputs: Mapping[str, torch.Tensor], special_ids: Mapping[str, int], options: ExplainOptions
) -> dict[str, torch.Tensor]:
    """The baseline sample: text baseline ids, the input's mask/types, and the image baseline."""
    return {
        "input_ids": text_baseline_ids(inputs["input_ids"], inputs["attention_mask"], special_ids),
        "token_type_ids": inputs["token_type_ids"],
        "attention_mask": inputs["attention_mask"],
        "pixel_values": image_baseline(inputs["pixel_values"], options),
    }


@contextlib.contextmanager
def inference_ready(model: MMTD) -> Iterator[None]:
    """Eval mode (dropout off: IG must be deterministic) and frozen weights for the duration.

    Freezing the parameters stops autograd from saving what only weight gradients would need;
    attributions need gradients w.r.t. the hooked activations alone.
    """
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)


def _float(x: torch.Tensor | float) -> float:
    return float(x.detach().double().cpu().item()) if isinstance(x, torch.Tensor) else float(x)



def stack(*samples: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: torch.cat([s[k] for s in samples], dim=0) for k in samples[0]}


def encoder_states(model: MMTD, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The two encoders' last hidden states (what the fusion layer receives), without gradients."""
    with inference_ready(model), torch.no_grad():
        text = model.encode_text(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"])
        image = model.encode_image(inputs["pixel_values"]).hidden_states[-1]
    return text.last_hidden_state, image


