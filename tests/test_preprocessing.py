"""Preprocessing must reproduce training: BERT ids padded to max_length, the published DiT processor's pixels
(PIL bilinear, no crop, /255, mean = std = 0.5)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reportgen.mmtd.edp import load_edp
from reportgen.errors import ReportgenError
from reportgen.mmtd.preprocessing import load_preprocessor
from tests.edp import write_edp
from tests.factories import VOCAB, write_cased_tokenizer


@pytest.fixture()
def tokenizer_dir(tmp_path):
    return write_cased_tokenizer(tmp_path / "tok")


def _picture(mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8), "RGB")
    return image.convert(mode)


def _by_hand(image: Image.Image, size: int, resample: int = Image.BILINEAR) -> np.ndarray:
    """The published DiT processor: RGB, PIL bilinear (resample=2) size×size, /255, (x - 0.5) / 0.5, CHW."""
    resized = image.convert("RGB").resize((size, size), resample)
    array = np.asarray(resized, dtype=np.float64) / 255.0
    return ((array - 0.5) / 0.5).transpose(2, 0, 1)


#: Pixels lie in [-1, 1]; float32 spacing there is at most 1.2e-7, and /255 then (x - 0.5) / 0.5 in
#: float32 rounds two or three times: 1e-6 bounds that. One grey level is 2/255 ≈ 7.8e-3.
PIXEL_ATOL = 1e-6


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "CMYK", "P"])
def test_pixels_equal_pil_bilinear_by_hand(tokenizer_dir, mode):
    pre = load_preprocessor(str(tokenizer_dir), None, image_size=24)
    image = _picture(mode)
    pixels = pre.encode(["hello"], [image])["pixel_values"]
    assert pixels.shape == (1, 3, 24, 24)
    np.testing.assert_allclose(pixels[0].numpy(), _by_hand(image, 24), rtol=0, atol=PIXEL_ATOL)
    # Bicubic (reportgen's old default) is visibly different: the comparison above can tell them apart.
    assert np.abs(pixels[0].numpy() - _by_hand(image, 24, Image.BICUBIC)).max() > 100 * PIXEL_ATOL


def test_default_processor_is_the_published_dit_one(tokenizer_dir):
    processor = load_preprocessor(str(tokenizer_dir), None, image_size=224).image_processor
    assert int(processor.resample) == 2  # PIL bilinear
    assert processor.do_center_crop is False and processor.do_resize and processor.do_normalize
    assert processor.size == {"height": 224, "width": 224}
    assert processor.rescale_factor == pytest.approx(1 / 255)
    assert list(processor.image_mean) == [0.5] * 3 and list(processor.image_std) == [0.5] * 3


def test_missing_text_is_tokenised_as_null(tmp_path):
    """A missing CSV text reaches the tokenizer as "null" (training's fillna('null')): [CLS] null [SEP] [PAD]…"""
    from transformers import BertTokenizerFast

    vocab = VOCAB + ["null"]
    tokenizer = tmp_path / "tok"
    tokenizer.mkdir()
    (tokenizer / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab=str(tokenizer / "vocab.txt"), do_lower_case=False).save_pretrained(str(tokenizer))
    pre = load_preprocessor(str(tokenizer), None, image_size=16, max_length=8)
    csv, pics = write_edp(tmp_path / "edp", n=2, texts=["hello", None])
    data = load_edp(csv, pics)
    ids = pre.encode_texts(data.texts)["input_ids"]
    # By hand: ids are positions in vocab.txt.
    cls, sep, pad, null = vocab.index("[CLS]"), vocab.index("[SEP]"), vocab.index("[PAD]"), vocab.index("null")
    assert ids[1].tolist() == [cls, null, sep] + [pad] * 5
    assert ids[0].tolist() == [cls, vocab.index("hello"), sep] + [pad] * 5
    empty = load_edp(csv, pics, missing_text="empty")
    assert pre.encode_texts(empty.texts)["input_ids"][1].tolist() == [cls, sep] + [pad] * 6


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

    saved = BeitImageProcessorPil(size={"height": 20, "width": 20}, resample=3, image_mean=[0.5] * 3,
                                  image_std=[0.5] * 3)
    saved.save_pretrained(str(tmp_path / "proc"))
    pre = load_preprocessor(str(tokenizer_dir), str(tmp_path / "proc"), image_size=999)
    image = _picture()
    # The folder's own settings (here bicubic, 20x20) win over the default.
    np.testing.assert_allclose(pre.encode(["x"], [image])["pixel_values"][0].numpy(),
                               _by_hand(image, 20, Image.BICUBIC), rtol=0, atol=PIXEL_ATOL)


def test_missing_image_processor_says_what_to_pass(tokenizer_dir, tmp_path):
    with pytest.raises(ReportgenError, match="pass --image-processor FOLDER"):
        load_preprocessor(str(tokenizer_dir), str(tmp_path / "missing"), image_size=16)


def test_dit_base_style_preprocessor_config_matches_default(tokenizer_dir, tmp_path):
    """microsoft/dit-base ships a 4.x-era BeitFeatureExtractor config (bilinear, resample 2); it must load and equal
    the default."""
    import json

    folder = tmp_path / "dit"
    folder.mkdir()
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "crop_size": 224, "do_center_crop": False, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "BeitFeatureExtractor", "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5], "reduce_labels": False, "resample": 2, "size": 224,
    }))
    loaded = load_preprocessor(str(tokenizer_dir), str(folder), image_size=224)
    default = load_preprocessor(str(tokenizer_dir), None, image_size=224)
    image = _picture("RGBA")
    np.testing.assert_allclose(
        loaded.encode(["x"], [image])["pixel_values"].numpy(), default.encode(["x"], [image])["pixel_values"].numpy()
    )
    np.testing.assert_allclose(default.encode(["x"], [image])["pixel_values"][0].numpy(), _by_hand(image, 224),
                               rtol=0, atol=PIXEL_ATOL)


def test_max_length_below_two_is_refused(tokenizer_dir):
    with pytest.raises(ReportgenError, match="--max-length must be at least 2"):
        load_preprocessor(str(tokenizer_dir), None, image_size=16, max_length=1)
