"""Validation of the FAQ tree and the municipality files: every problem, each naming its file and field.

Loading stops at the first malformed entry; validation keeps going and reports them all, plus
what no single file can show: FAQ folders without a municipality file, duplicate ids, ids outside
their layer's prefix, overrides of shared entries that do not exist, and covers that name an entry
the municipality does not have or one of another topic. ``make validate`` prints
the problems (``app.commands.validate``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import municipalities
from knowledge.content.entries import FAQ_ROOT, SHARED_LAYER, ContentError, FaqEntry, load_file


def problems(root: Path = FAQ_ROOT, config_dir: Path = municipalities.CONFIG_DIR) -> list[str]:
    """Every problem found in the content tree; empty when all is well."""
    found: list[str] = []
    known: dict[str, municipalities.Municipality] = {}
    for path in sorted(config_dir.glob("*.yml")):
        try:
            known[path.stem] = municipalities.load_file(path)
        except municipalities.ConfigError as exc:
            found.append(str(exc))

    entries: dict[str, list[tuple[Path, FaqEntry]]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        layer = folder.name
        if layer != SHARED_LAYER and layer not in known:
            found.append(f"{folder}: no municipality file municipalities/{layer}.yml for this FAQ folder")
        for path in sorted(folder.glob("*")):
            if path.suffix != ".yml":
                found.append(f"{path}: FAQ files must end in .yml")
                continue
            try:
                entries.setdefault(layer, []).append((path, load_file(path, layer)))
            except ContentError as exc:
                found.append(str(exc))

    all_ids = Counter(entry.id for items in entries.values() for _, entry in items)
    shared_ids = {entry.id for _, entry in entries.get(SHARED_LAYER, [])}
    for layer, items in entries.items():
        for path, entry in items:
            if all_ids[entry.id] > 1:
                found.append(f"{path}: field 'id': {entry.id!r} is used by more than one entry")
            expected_prefix = f"{layer}."
            if not entry.id.startswith(expected_prefix):
                found.append(f"{path}: field 'id': must start with {expected_prefix!r}")
            if entry.overrides and entry.overrides not in shared_ids:
                found.append(f"{path}: field 'overrides': no shared entry {entry.overrides!r}")
            found.extend(_cover_problems(path, entry, entries, layer))
    return found


def _cover_problems(path: Path, entry: FaqEntry, entries: dict[str, list[tuple[Path, FaqEntry]]],
                    layer: str) -> list[str]:
    """An overview covers only entries its municipality answers with (its own or shared), on its topic.

    A shared overview covers shared entries only: it must hold for every municipality.
    """
    reachable = {e.id: e for _, e in entries.get(SHARED_LAYER, [])}
    if layer != SHARED_LAYER:
        overridden = {e.overrides for _, e in entries.get(layer, []) if e.overrides}
        reachable = {i: e for i, e in reachable.items() if i not in overridden}
        reachable.update({e.id: e for _, e in entries.get(layer, [])})
    found = []
    for covered in entry.covers:
        other = reachable.get(covered)
        if other is None:
            found.append(f"{path}: field 'covers': {covered!r} is not an entry {layer!r} answers with")
        elif other.topic != entry.topic:
            found.append(f"{path}: field 'covers': {covered!r} is about {other.topic}, this entry about {entry.topic}")
    return found
