"""The shared file lock serialises its holders; swap_in replaces a folder whole."""

from __future__ import annotations

import threading
from pathlib import Path

from knowledge.files import file_lock, swap_in


def test_a_second_holder_waits_until_the_first_leaves(tmp_path: Path) -> None:
    lock = tmp_path / "nested" / ".target.lock"  # the folder is created on demand
    events: list[str] = []
    second_is_waiting = threading.Event()

    def second() -> None:
        events.append("second waits")
        second_is_waiting.set()
        with file_lock(lock):
            events.append("second in")
        events.append("second out")

    with file_lock(lock):
        events.append("first in")
        thread = threading.Thread(target=second)
        thread.start()
        assert second_is_waiting.wait(timeout=10)
        thread.join(timeout=0.5)  # long enough for an unlocked second holder to finish
        assert thread.is_alive(), "the second holder got in while the first held the lock"
        events.append("first out")
    thread.join(timeout=10)
    assert events == ["first in", "second waits", "first out", "second in", "second out"]


def test_swap_in_replaces_the_folder_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target, tmp = tmp_path / "model", tmp_path / ".model.tmp"
    target.mkdir()
    (target / "old.txt").write_text("old")
    tmp.mkdir()
    (tmp / "new.txt").write_text("new")
    swap_in(tmp, target)
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
