"""A minimal Rasa bot beside the product, so `make bench` can say what a fixed reply costs in Rasa alone.

The product's fixed reply ("thanks" → "you're welcome") passes the gateway, the records, Rasa with
its SQL tracker store and one action call, and the catalog renderer; the yardstick is the same reply
from a bot with nothing but Rasa: a handful of English intents, DIET, rules, no custom actions, an
in-memory tracker (``eval/bare_rasa/``). It is trained once per version of its files into a
content-addressed folder under ``.cache/`` (about a minute) and started on a free port.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.settings import free_port
from app.stack import RASA_BIN
from app.supervisor import Service, Supervisor
from base.paths import CACHE_DIR, PROJECT_ROOT

PROJECT = PROJECT_ROOT / "eval" / "bare_rasa"
FILES = ("config.yml", "domain.yml", "data/nlu.yml", "data/rules.yml")


def model() -> Path:
    """The trained bare bot, trained now if its files changed since the last training."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + (PROJECT / name).read_bytes())
    folder = CACHE_DIR / "bare-rasa" / digest.hexdigest()[:16]
    trained = folder / "bare.tar.gz"
    if not trained.exists():
        folder.mkdir(parents=True, exist_ok=True)
        trained_now = subprocess.run([str(RASA_BIN), "train", "--quiet", "--config", "config.yml", "--domain",
                                      "domain.yml", "--data", "data", "--out", str(folder), "--fixed-model-name",
                                      "bare"], cwd=PROJECT, capture_output=True, text=True,
                                     # Rasa's training cache goes beside the model, not into the project
                                     env=dict(os.environ, RASA_CACHE_DIRECTORY=str(folder / "cache")))
        if trained_now.returncode != 0:
            raise RuntimeError("training the bare Rasa bot failed:\n" + trained_now.stderr[-3000:])
    return trained


@contextmanager
def running(work: Path) -> Iterator[str]:
    """The bare bot serving Rasa's REST channel; yields its base URL."""
    trained = model()
    credentials = work / "bare-credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    port = free_port()
    service = Service("bare-rasa", [str(RASA_BIN), "run", "--model", str(trained), "--interface", "127.0.0.1",
                                    "--port", str(port), "--credentials", str(credentials), "--quiet"],
                      # the product's Rasa runs with the same threads (app/stack.py)
                      env=dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
                               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1")),
                      ready_url=f"http://127.0.0.1:{port}/", log=work / "bare-rasa.log", cwd=PROJECT)
    supervisor = Supervisor([service])
    supervisor.start(180)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        supervisor.stop()
