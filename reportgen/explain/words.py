"""Merge WordPiece token attributions into word attributions.

BERT's WordPiece splits an unknown word into a first piece and ``##``-prefixed continuation pieces
("unbelievable" -> "un", "##believ", "##able"). A reader thinks in words, so the report shows one
score per word: the signed sum of its pieces' scores. Summing (not averaging) keeps completeness:
the word scores still add up to the total text attribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Tokens the tokenizer adds around the text; they are positions, not words, so they get no word.
SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]", "[PAD]"})

#: WordPiece's marker for a piece that continues the previous word.
CONTINUATION = "##"


def merge_wordpieces(tokens: Sequence[str], scores: Sequence[float]) -> list[dict[str, Any]]:
    """Group WordPiece tokens into words and sum their scores.

    Args:
        tokens: the real tokens of one sample (as the tokenizer wrote them, specials included).
        scores: one signed score per token (same length as ``tokens``).

    Returns:
        One dict per word, in text order: ``text`` (pieces joined, ``##`` removed), ``score`` (signed
        sum of the pieces' scores, a float) and ``tokens`` (the indices into ``tokens`` it covers).
        ``[CLS]``, ``[SEP]`` and ``[PAD]`` are skipped. A ``##`` piece with no word before it (right
        after a special token or at the start) starts a word of its own rather than being lost.

    Raises:
        ValueError: if ``tokens`` and ``scores`` differ in length (a programming error, not user input).
    """
    if len(tokens) != len(scores):
        raise ValueError(f"merge_wordpieces: {len(tokens)} tokens but {len(scores)} scores")
    words: list[dict[str, Any]] = []
    # Whether the last thing seen was a word that a ``##`` piece may continue (a special token ends it).
    open_word = False
    for index, (token, score) in enumerate(zip(tokens, scores)):
        if token in SPECIAL_TOKENS:
            open_word = False
            continue
        if token.startswith(CONTINUATION) and len(token) > len(CONTINUATION) and open_word:
            word = words[-1]
            word["text"] += token[len(CONTINUATION):]
            word["score"] += float(score)
            word["tokens"].append(index)
        else:
            text = token[len(CONTINUATION):] if token.startswith(CONTINUATION) and len(token) > 2 else token
            words.append({"text": text, "score": float(score), "tokens": [index]})
            open_word = True
    return words
