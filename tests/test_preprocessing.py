"""Preprocessing must reproduce training: BERT ids padded to max_length, DiT PIL bicubic pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reportgen.errors import ReportgenError
from reportgen.mmtd.preprocessing import load_preprocessor
from tests.factories import write_cased_tokenizer


@pytest.fixture()
def tokenizer_dir(tmp_path):
    return write_cased_tokenizer(tmp_path / "tok")


def _picture(mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8), "RGB")
    return image.convert(mode)


def _by_hand(image: Image.Image, size: int) -> np.ndarray:
    """Training's DiT feature extractor: RGB, PIL bicubic size×size, /255, (x - 0.5) / 0.5, CHW."""
    resized = image.convert("RGB").resize((size, size), Image.BICUBIC)
    array = np.asarray(resized, dtype=np.float64) / 255.0
    return ((array - 0.5) / 0.5).transpose(2, 0, 1)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "CMYK", "P"])
def test_pixels_equal_pil_bicubic_by_hand(tokenizer_dir, mode):
    pre = load_preprocessor(str(tokenizer_dir), None, image_size=24)
    image = _picture(mode)
    pixels = pre.encode(["hello"], [image])["pixel_values"]
    assert pixels.shape == (1, 3, 24, 24)
    np.testing.assert_allclose(pixels[0].numpy(), _by_hand(image, 24), atol=1e-5)


def test_tokens_are_padded_to_max_length_and_truncated(tokenizer_dir):
    pre = load_preprocessor(str(tokenizer_dir), None, image_size=16, max_length=12)
    long_text = " ".join(["win"] * 40)
    encoded = pre.encode(["hello team", long_text, ""], [_picture()] * 3)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert encoded[key].shape == (3, 12)
    ids = pre.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
    assert ids[:4] == ["[CLS]", "hello", "team", "[SEP]"]
    assert ids[4:] == ["[PAD]"] * 8
    assert encoded["attention_mask"][0].tolist() == [1] * 4 + [0] * 8
    assert encoded["attention_mask"][1].tolist() == [1] * 12  # truncated, ends in [SEP]
    assert encoded["input_ids"][1, -1].item() == pre.special_ids["sep"]
    assert encoded["input_ids"][2, :2].tolist() == [pre.special_ids["cls"], pre.special_ids["sep"]]


def test_default_max_length_is_training_256(tokenizer_dir):
    pre = load_preprocessor(str(tokenizer_dir), None, image_size=16)
    assert pre.encode(["hello"], [_picture()])["input_ids"].shape == (1, 256)


def test_tokenizer_is_cased_like_multilingual_bert(tokenizer_dir):
    pre = load_preprocessor(str(tokenizer_dir), None, image_size=16)
    assert pre.tokenizer.tokenize("Win") == ["[UNK]"]  # "win" is in the vocab; case is kept


def test_missing_tokenizer_says_what_to_pass(tmp_path):
    with pytest.raises(ReportgenError, match="pass --tokenizer FOLDER") as info:
        load_preprocessor(str(tmp_path / "nope"), None, image_size=16)
    assert "\n" not in info.value.message
    with pytest.raises(ReportgenError, match="pass --tokenizer FOLDER"):
        load_preprocessor("bert-base-multilingual-cased-not-cached", None, image_size=16)


def test_image_processor_folder_is_loaded_with_pil_backend(tokenizer_dir, tmp_path):
    from transformers import BeitImageProcessorPil

    saved = BeitImageProcessorPil(size={"height": 20, "width": 20}, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    saved.save_pretrained(str(tmp_path / "proc"))
    pre = load_preprocessor(str(tokenizer_dir), str(tmp_path / "proc"), image_size=999)
    image = _picture()
    np.testing.assert_allclose(pre.encode(["x"], [image])["pixel_values"][0].numpy(), _by_hand(image, 20), atol=1e-5)


def test_missing_image_processor_says_what_to_pass(tokenizer_dir, tmp_path):
    with pytest.raises(ReportgenError, match="pass --image-processor FOLDER"):
        load_preprocessor(str(tokenizer_dir), str(tmp_path / "missing"), image_size=16)


def test_dit_base_style_preprocessor_config_matches_default(tokenizer_dir, tmp_path):
    """microsoft/dit-base ships a 4.x-era BeitFeatureExtractor config; it must load and equal the default."""
    import json

    folder = tmp_path / "dit"
    folder.mkdir()
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "crop_size": 224, "do_center_crop": False, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "BeitFeatureExtractor", "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5], "reduce_labels": False, "resample": 3, "size": 224,
    }))
    loaded = load_preprocessor(str(tokenizer_dir), str(folder), image_size=224)
    default = load_preprocessor(str(tokenizer_dir), None, image_size=224)
    image = _picture("RGBA")
    np.testing.assert_allclose(
        loaded.encode(["x"], [image])["pixel_values"].numpy(), default.encode(["x"], [image])["pixel_values"].numpy()
    )
    np.testing.assert_allclose(default.encode(["x"], [image])["pixel_values"][0].numpy(), _by_hand(image, 224), atol=1e-5)


def test_max_length_below_two_is_refused(tokenizer_dir):
    with pytest.raises(ReportgenError, match="--max-length must be at least 2"):
        load_preprocessor(str(tokenizer_dir), None, image_size=16, max_length=1)
