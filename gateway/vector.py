"""The e5 vector of a message, computed once, before Rasa sees the message.

Rasa's NLU featurizer and the FAQ search both need the same "query:" vector of the person's text.
Computing it here, in the app's worker pool with the int8 encoder, and handing it to Rasa in the
message's metadata means Rasa runs no model pass of its own, and the FAQ search finds the vector in
the encoder's memory of recent queries. If the encoder cannot run, Rasa computes the vector itself
(``bot/featurizer.py``), so a missing model file slows answers down but never stops them.
"""

from __future__ import annotations

import base64
import logging

import numpy as np

from base.metrics import stage
from base.workers import off_loop
from knowledge.model.encoder import shared_encoder

logger = logging.getLogger(__name__)


def pack(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


async def query_vector(text: str) -> str | None:
    """The packed vector of ``text``, or None when the encoder is not available."""
    try:
        with stage("gateway: query vector"):
            return pack(await off_loop(shared_encoder().query_vector, text))
    except Exception as exc:  # a broken or missing model folder: Rasa falls back to its own pass
        logger.warning("Could not compute the message's vector (%s); Rasa will compute it", type(exc).__name__)
        return None
