"""Writing an FAQ entry from the console: checked by the same rules as ``make validate``, saved as
the same reviewable YAML file, replaced atomically.

The console's editor does not keep a second copy of the content: a published entry is the YAML
file under ``knowledge/faq/<layer>/``, so git shows what was edited (and can review or revert it),
``make validate`` keeps checking it, and the index builds from it as from any other file. A
candidate is checked by writing it into a scratch copy of the whole tree and running the
validator there, so the rules that need every file (duplicate ids, overrides, covers) apply too.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from knowledge.content.entries import FAQ_ROOT, ContentError, layer_files, load_file
from knowledge.content.validate import problems

#: The order fields are written in, as in the hand-written files.
FIELD_ORDER = ("id", "topic", "questions", "covers", "overrides", "answer", "sources", "verified", "time_sensitive")
_FIELD = re.compile(r"field '([^']+)': (.*)")


class _Block(str):
    """A long text written as a folded block, as people write the answers."""


def _block(dumper: yaml.SafeDumper, value: _Block) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=">" if len(value) > 60 else None)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Block, _block)


def render(raw: dict[str, Any]) -> str:
    """The entry as YAML, fields in the usual order, answers folded, every language as written."""
    ordered = {key: raw[key] for key in FIELD_ORDER if raw.get(key) not in (None, "", [], ())}
    if "answer" in ordered:
        ordered["answer"] = {lang: _Block(text) for lang, text in ordered["answer"].items()}
    return yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def entry_path(layer: str, entry_id: str, root: Path = FAQ_ROOT) -> Path:
    """The file that holds this entry now, or where a new one goes (``<topic>_<name>.yml``)."""
    for path in layer_files(layer, root):
        try:
            if load_file(path, layer).id == entry_id:
                return path
        except ContentError:
            continue
    return root / layer / f"{'_'.join(entry_id.split('.')[1:])}.yml"


def field_problems(layer: str, raw: dict[str, Any], root: Path = FAQ_ROOT) -> dict[str, str]:
    """What ``make validate`` would say about this entry, by field ("(entry)" for the whole); empty if fine."""
    entry_id = str(raw.get("id") or "")
    with tempfile.TemporaryDirectory(prefix="faq-check-") as scratch:
        tree = Path(scratch) / "faq"
        shutil.copytree(root, tree)
        target = entry_path(layer, entry_id, tree) if entry_id else tree / layer / "new_entry.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(raw), encoding="utf-8")
        found: dict[str, str] = {}
        for line in (line for item in problems(tree) for line in item.splitlines()):
            if not line.startswith(str(target)):
                continue
            match = _FIELD.search(line)
            field, message = (match.group(1), match.group(2)) if match else ("(entry)", line)
            found.setdefault(field, message)
        return found


def write(layer: str, raw: dict[str, Any], root: Path = FAQ_ROOT) -> tuple[Path, str | None]:
    """Write the entry's file by rename (readers see the old or the new file); (path, previous text)."""
    path = entry_path(layer, str(raw["id"]), root)
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    replace_text(path, render(raw))
    return path, previous


def replace_text(path: Path, text: str | None) -> None:
    """Put ``text`` in place atomically, or remove the file when ``text`` is None (undoing a new entry)."""
    if text is None:
        path.unlink(missing_ok=True)
        os.utime(path.parent)  # the folder changes either way, so caches notice (entries.edition)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
    os.utime(path.parent)
