"""File helpers shared by the model provisioning and the index build.

Both write a whole folder that other processes read while it is being replaced (the app server, a
second ``make`` target, test workers): they build it beside the target, swap it in with renames, and
take one cross-process lock per target so that two builders never do the same work at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


def swap_in(tmp: Path, target: Path) -> None:
    """Replace the folder ``target`` with the finished folder ``tmp``, so readers never see half of one."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created with its folder if missing) for the block.

    Across processes and threads alike: every holder opens the file itself, and ``flock`` treats
    separate opens independently, so a second holder waits until the first one leaves the block.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
