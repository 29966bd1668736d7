"""The exact two-player Shapley split of the spam log-odds between text and picture.

With two players the Shapley value needs four model outputs: full (text and picture), text only,
picture only and none (a missing modality replaced by its baseline, see :mod:`.baselines`):

    φ_text  = ½[(f(T, I₀) − f(T₀, I₀)) + (f(T, I) − f(T₀, I))]
    φ_image = (f(T, I) − f(T₀, I₀)) − φ_text

so ``φ_text + φ_image == f(full) − f(none)`` exactly (efficiency). The encoders see each modality
separately, so the four coalitions differ only in which encoder states enter the small fusion
layer: the encoders run once per input and once per baseline, and the fusion runs four times.

* :func:`shapley_from_hidden` — one sample, from the states of ``[input, baseline]``.
* :class:`WholeSetShapley` — every predicted e-mail, reusing the prediction pass's encoder states.
  The picture baseline's states are the same for every row (a blank page), so they are computed
  once; the text baseline's states depend only on the row's length (where [CLS]/[SEP]/padding sit),
  so they are cached per length; f(none) too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from reportgen.explain.baselines import image_baseline, inference_ready, text_baseline_ids
from reportgen.mmtd.model import HAM, MMTD, SPAM, spam_log_odds
from reportgen.options import ExplainOptions


def shapley_values(f_full: Any, f_text_only: Any, f_image_only: Any, f_none: Any) -> tuple[Any, Any]:
    """``(φ_text, φ_image)`` from the four coalition values (floats or float64 arrays)."""
    phi_text = 0.5 * ((f_text_only - f_none) + (f_full - f_image_only))
    # Written as the remainder so that efficiency holds to the last bit, not just to rounding.
    return phi_text, (f_full - f_none) - phi_text


def shapley_from_hidden(model: MMTD, text_hidden: torch.Tensor, image_hidden: torch.Tensor) -> dict[str, Any]:
    """The split of one sample from the encoders' last hidden states of ``[input, baseline]`` (batch of 2).

    Returns:
        ``text``, ``image`` (the Shapley values), ``f_full``, ``f_none``, ``f_text_only``, ``f_image_only``.
    """
    if text_hidden.shape[0] != 2 or image_hidden.shape[0] != 2:
        raise ValueError("shapley_from_hidden expects hidden states of [input, baseline]")
    # Coalitions in the order full, text only, image only, none (index 0 = input, 1 = baseline).
    pick_text = torch.tensor([0, 0, 1, 1], device=text_hidden.device)
    pick_image = torch.tensor([0, 1, 0, 1], device=image_hidden.device)
    with torch.no_grad():
        f = spam_log_odds(model.fuse(text_hidden[pick_text], image_hidden[pick_image])).double().cpu().tolist()
    f_full, f_text_only, f_image_only, f_none = f
    phi_text, phi_image = shapley_values(f_full, f_text_only, f_image_only, f_none)
    return {"text": phi_text, "image": phi_image, "f_full": f_full, "f_none": f_none,
            "f_text_only": f_text_only, "f_image_only": f_image_only}


class WholeSetShapley:
    """Logits and the Shapley split of a batch of e-mails at a little more than the cost of predicting them.

    Call it on a batch of ``Preprocessor.encode`` inputs (on the model's device) instead of the model:
    it runs the two encoders once, fuses their states for the logits (exactly the model's forward) and
    fuses them twice more with the baselines' states (text only, picture only).

    Args:
        model: the MMTD, in eval mode.
        special_ids: ``{"cls", "sep", "pad"}`` token ids of the tokenizer.
        options: the baselines (``image_baseline``, ``pixel_mean``, ``pixel_std``, ``blur_sigma``).
        cache_size: text-baseline entries kept (one per distinct length; least recently used go).
    """

    def __init__(self, model: MMTD, special_ids: Mapping[str, int], options: ExplainOptions,
                 cache_size: int = 128) -> None:
        self.model = model
        self.special_ids = dict(special_ids)
        self.options = options
        self.cache_size = int(cache_size)
        # A blurred copy depends on the picture, so only a white or black page is shared by every row.
        self._constant_image = options.image_baseline in ("white", "black")
        self._image_states: torch.Tensor | None = None
        self._image_states_size: tuple[int, ...] | None = None
        self._text_cache: OrderedDict[bytes, tuple[torch.Tensor, float | None]] = OrderedDict()

    def __call__(self, encoded: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
        """Logits ``[B, 2]`` (float32) and ``{"text", "image", "f_none", "f_full"}`` (float64 arrays).

        ``f_full`` is ``logit_spam - logit_ham`` of the returned logits (in float64), and
        ``text + image == f_full - f_none``.
        """
        model = self.model
        input_ids, mask = encoded["input_ids"], encoded["attention_mask"]
        token_types = encoded.get("token_type_ids")
        if token_types is None:
            token_types = torch.zeros_like(input_ids)
        pixels = encoded["pixel_values"]
        with inference_ready(model), torch.inference_mode():
            text = model.encode_text(input_ids, token_types, mask).last_hidden_state
            image = model.encode_image(pixels).hidden_states[-1]
            logits = model.fuse(text, image).float()
            image_base = self._image_baseline_states(pixels)
            text_base, f_none_cached = self._text_baselines(input_ids, token_types, mask, image_base)
            f_text_only = spam_log_odds(model.fuse(text, image_base.expand(len(text), -1, -1)
                                                   if image_base.shape[0] == 1 else image_base))
            f_image_only = spam_log_odds(model.fuse(text_base, image))
            if f_none_cached is None:  # picture baseline per row: f(none) per row too
                f_none = spam_log_odds(model.fuse(text_base, image_base)).double().cpu().numpy()
            else:
                f_none = np.asarray(f_none_cached, dtype=np.float64)
        logits_cpu = logits.cpu()
        f_full = logits_cpu[:, SPAM].double().numpy() - logits_cpu[:, HAM].double().numpy()
        phi_text, phi_image = shapley_values(f_full, f_text_only.double().cpu().numpy(),
                                             f_image_only.double().cpu().numpy(), f_none)
        return logits_cpu, {"text": phi_text, "image": phi_image, "f_none": f_none, "f_full": f_full}

    # -- baselines --------------------------------------------------------------------------
    def _image_baseline_states(self, pixels: torch.Tensor) -> torch.Tensor:
        """``[1, P, H]`` for a white/black page (encoded once per picture size), else ``[B, P, H]``."""
        if not self._constant_image:
            return self.model.encode_image(image_baseline(pixels, self.options)).hidden_states[-1]
        size = tuple(pixels.shape[1:])
        if self._image_states is None or self._image_states_size != size:
            page = image_baseline(pixels[:1], self.options)
            self._image_states = self.model.encode_image(page).hidden_states[-1]
            self._image_states_size = size
            self._text_cache.clear()  # cached f(none) values belong to the old page
        return self._image_states

    def _text_baselines(self, input_ids: torch.Tensor, token_types: torch.Tensor, mask: torch.Tensor,
                        image_base: torch.Tensor) -> tuple[torch.Tensor, list[float] | None]:
        """The text baseline states of every row (``[B, L, H]``) and its f(none) when the page is shared."""
        baseline_ids = text_baseline_ids(input_ids, mask, self.special_ids)
        # The baseline keeps only [CLS]/[SEP]/padding positions, so rows of one length share it.
        keys = [b"".join(t[i].cpu().numpy().tobytes() for t in (baseline_ids, token_types, mask))
                for i in range(len(input_ids))]
        missing = list(dict.fromkeys(k for k in keys if k not in self._text_cache))
        if missing:
            rows = torch.tensor([keys.index(k) for k in missing], device=input_ids.device)
            states = self.model.encode_text(baseline_ids[rows], token_types[rows], mask[rows]).last_hidden_state
            f_none: list[float | None] = [None] * len(missing)
            if self._constant_image:
                f_none = spam_log_odds(self.model.fuse(states, image_base.expand(len(states), -1, -1)))
                f_none = f_none.double().cpu().tolist()
            for j, key in enumerate(missing):
                self._text_cache[key] = (states[j : j + 1].clone(), f_none[j])  # not a view: frees the batch
        for key in keys:
            self._text_cache.move_to_end(key)
        while len(self._text_cache) > max(self.cache_size, len(set(keys))):
            self._text_cache.popitem(last=False)
        entries = [self._text_cache[k] for k in keys]
        text_base = torch.cat([e[0] for e in entries])
        return text_base, ([float(e[1]) for e in entries] if self._constant_image else None)
