"""Where the project lives on disk, named once so that no module computes it from its own depth."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Content-addressed caches and provisioned models (outside git, rebuilt by `make`).
CACHE_DIR = PROJECT_ROOT / ".cache"
