"""The run-time int8 ONNX encoder: equivalent to the float32 model, consistent with itself, and cheap to share."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from base.messages import RasaMetadata
from gateway.vector import pack
from knowledge.model.embedder import Embedder
from knowledge.model.encoder import Encoder
from knowledge.tuning.equivalence import THRESHOLD

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def encoder(model_dir: Path) -> Encoder:
    return Encoder(model_dir)


def test_int8_vectors_agree_with_the_float32_model(encoder: Encoder, embedder: Embedder, texts: list[str]) -> None:
    short = [text for text in texts if len(text) < 1000]  # the float32 reference truncates long texts
    for int8, float32 in ((encoder.queries(short), embedder.queries(short)),
                          (encoder.passages(short), embedder.passages(short))):
        cosines = np.sum(int8 * float32, axis=1)
        assert cosines.mean() >= THRESHOLD
        assert cosines.min() >= 0.98


def test_a_query_is_encoded_the_same_alone_and_in_a_list(encoder: Encoder) -> None:
    """The index is built from lists and a message encoded alone: they must give the same numbers."""
    texts = ["Hur ställer jag mig i bostadskö?", "Jak zapisać dziecko do przedszkola?", "Що таке SFI?"]
    listed = encoder.queries(texts)
    np.testing.assert_allclose(encoder.query_vector(texts[1]), listed[1], atol=1e-6)
    np.testing.assert_allclose(encoder.queries(texts[1:2])[0], listed[1], atol=1e-6)


def test_a_long_text_is_cut_at_the_models_512_tokens_and_still_encoded(encoder: Encoder) -> None:
    [long] = encoder.passages(["ord " * 2000])
    assert abs(float(np.linalg.norm(long)) - 1.0) < 1e-5


def test_the_vector_for_rasa_survives_the_trip_and_leaves_the_metadata_small(encoder: Encoder) -> None:
    vector = encoder.query_vector("Where can I learn Swedish?")
    wire = RasaMetadata(municipality="boden", e5_vector=pack(vector)).to_wire()
    back = np.frombuffer(base64.b64decode(wire["e5_vector"]), dtype="<f4")
    np.testing.assert_array_equal(back, vector)
    assert len(wire["e5_vector"]) <= 2048


def test_the_fingerprint_names_the_model_not_its_folder(model_dir: Path, tmp_path: Path) -> None:
    """Moving the project (another clone, CI) must not make every built index stale."""
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("provision.json", "e5-int8.onnx"):
        (copy / name).symlink_to(model_dir / name)
    assert Encoder(copy).fingerprint() == Encoder(model_dir).fingerprint()
    (copy / "e5-int8.onnx").unlink()
    assert Encoder(copy).fingerprint() != Encoder(model_dir).fingerprint()
