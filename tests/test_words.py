"""Word merging: the report's word scores are the signed sums of their WordPiece pieces."""

from __future__ import annotations

import pytest

from reportgen.explain.words import merge_wordpieces


def test_continuation_pieces_join_previous_word_with_signed_sum():
    tokens = ["[CLS]", "un", "##believ", "##able", "offer", "[SEP]"]
    scores = [0.5, 0.1, -0.3, 0.4, 1.0, -2.0]
    words = merge_wordpieces(tokens, scores)
    assert [w["text"] for w in words] == ["unbelievable", "offer"]
    assert words[0]["score"] == pytest.approx(0.2)
    assert words[0]["tokens"] == [1, 2, 3]
    assert words[1] == {"text": "offer", "score": 1.0, "tokens": [4]}


def test_special_tokens_are_not_words_and_padding_is_skipped():
    words = merge_wordpieces(["[CLS]", "hello", "[SEP]", "[PAD]", "[PAD]"], [9.0, 1.0, 9.0, 9.0, 9.0])
    assert words == [{"text": "hello", "score": 1.0, "tokens": [1]}]


def test_multilingual_pieces_merge():
    # Cyrillic and accented Latin pieces as bert-base-multilingual-cased splits them.
    tokens = ["[CLS]", "при", "##вет", "dine", "##ro", "grat", "##is", "!", "[SEP]"]
    scores = [0, 1, 1, -1, -0.5, 2, 0.25, 0.1, 0]
    words = merge_wordpieces(tokens, scores)
    assert [w["text"] for w in words] == ["привет", "dinero", "gratis", "!"]
    assert [w["score"] for w in words] == pytest.approx([2, -1.5, 2.25, 0.1])


def test_word_scores_sum_to_non_special_token_scores():
    tokens = ["[CLS]", "win", "##s", "free", "money", "##ed", "[SEP]"]
    scores = [3.0, 0.2, 0.3, -0.1, 0.7, 0.05, 4.0]
    words = merge_wordpieces(tokens, scores)
    assert sum(w["score"] for w in words) == pytest.approx(sum(scores[1:-1]))


def test_orphan_continuation_starts_its_own_word():
    words = merge_wordpieces(["[CLS]", "##ing", "now"], [0.0, 1.0, 2.0])
    assert [w["text"] for w in words] == ["ing", "now"]


def test_continuation_never_crosses_a_separator():
    words = merge_wordpieces(["a", "[SEP]", "##ed"], [1.0, 0.0, 2.0])
    assert [(w["text"], w["tokens"]) for w in words] == [("a", [0]), ("ed", [2])]


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="2 tokens but 1 scores"):
        merge_wordpieces(["a", "b"], [1.0])


def test_real_tokenizer_pieces_merge():
    from transformers import BertTokenizer

    from tests.factories import VOCAB

    tokenizer = BertTokenizer(vocab={word: i for i, word in enumerate(VOCAB)}, do_lower_case=False)
    ids = tokenizer("unbelievable offers")["input_ids"]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert "##believ" in tokens
    words = merge_wordpieces(tokens, [1.0] * len(tokens))
    assert [w["text"] for w in words] == ["unbelievable", "offers"]
    assert words[0]["score"] == 3.0
