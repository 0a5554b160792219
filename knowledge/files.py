"""File helpers shared by the model provisioning and the index build."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def swap_in(tmp: Path, target: Path) -> None:
    """Replace the folder ``target`` with the finished folder ``tmp``, so readers never see half of one."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
