"""An offline int8 ONNX copy of the provisioned e5 model, for run time.

Why: every message needs the e5 query vector, and torch spends 24-31 ms a query on it on this
machine; onnxruntime with int8 weights needs about 4 ms. Weights are quantised *per output
channel*: per-tensor int8 moved vectors to cosine 0.989 of the float32 model, per-channel keeps
them at 0.996 (``make bench`` reports the figure, ``knowledge.tuning.equivalence``; the bar is 0.995).

The file is written from what is already on disk (the provisioned folder), so provisioning stays
offline. torch and onnx are needed only here, at provisioning.
"""

from __future__ import annotations

from pathlib import Path

E5_ONNX = "e5-int8.onnx"
OPSET = 17


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
