"""The lexical signal of the hybrid retriever: spaCy tokens, lookup lemmas, compound parts, BM25.

Why a lexical signal at all: the 4-bit multilingual-e5-small embeds whole sentences well but is
blunt on the words that decide an FAQ match — names of services and places ("Bodenbo",
"personnummer", "SFI"), and Swedish compounds ("vaccinationsintyg" vs "intyg"). BM25 over
lemmas catches those; on SweFAQ dev it adds several points of hit@1 when fused with the dense
scores (see ``knowledge.tuning.swefaq``).

How text becomes terms (``Analyzer``): ``spacy.blank(lang)`` tokenises (it knows Swedish
clitics, Arabic punctuation, Ukrainian apostrophes...), tokens are NFKC-normalised and casefolded
(Arabic diacritics and tatweel are dropped, so vocalised and plain spellings meet), punctuation
and the language's stop words are dropped (questions say "jag/I", answers say "du/you": those
words only add noise), words are mapped to their lemma with the spacy-lookups-data table where
the language has one, and Swedish/German closed compounds also contribute their known head and
modifier ("förskoleplats" -> "förskoleplats", "plats", "förskola").

Why the query side does not load the lemma tables: they are big (Swedish 660k forms, Polish
millions, 20 s and 1.6 GB through spaCy's loader). A query term only matters if its lemma is in
the index, so at build time each language's table is reduced to the forms whose lemma occurs in
the indexed documents and stored with the index. Queries are then lemmatised from that small map
(identical results for every term that can match), and the app server never loads a full table.
"""

from __future__ import annotations

import gzip
import json
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache, cached_property, lru_cache
from pathlib import Path

import numpy as np

#: spacy-lookups-data tables per language, in priority order. Polish ships one table per part of
#: speech; nouns and adjectives carry FAQ topics, and leaving out the 1.8M verb forms halves the
#: build-time load. fi, uk and ar have no table: their tokens stay as they are.
LEMMA_TABLES: dict[str, tuple[str, ...]] = {
    "sv": ("lemma_lookup",),
    "en": ("lemma_lookup",),
    "de": ("lemma_lookup",),
    "es": ("lemma_lookup",),
    "pl": ("lemma_lookup_noun", "lemma_lookup_adj", "lemma_lookup_adv"),
}
#: Languages that write compounds as one word; linking letters tried between the parts.
COMPOUND_LINKS: dict[str, tuple[str, ...]] = {"sv": ("", "s"), "de": ("", "s", "es", "n", "en")}
MIN_PART = 3  # shorter "parts" are mostly accidental substrings
_ARABIC_MARKS = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670", "\u0640"}

BM25_K1 = 1.5
BM25_B = 0.75


def fold(token: str) -> str:
    """NFKC + casefold, without Arabic harakat/tatweel: one spelling per word."""
    text = unicodedata.normalize("NFKC", token).casefold()
    if any(ch in _ARABIC_MARKS for ch in text):
        text = "".join(ch for ch in text if ch not in _ARABIC_MARKS)
    return text


def _read_table(lang: str, name: str) -> dict[str, str]:
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / f"{lang}_{name}.json.gz"
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


class Analyzer:
    """Turns text of one language into BM25 terms using the full lemma table (index time)."""

    def __init__(self, lang: str | None) -> None:
        self.lang = lang or "xx"
        self._lock = threading.Lock()  # spaCy's tokenizer caches are not meant for concurrent writes

    @cached_property
    def _nlp(self):
        import spacy

        try:
            return spacy.blank(self.lang)
        except (ImportError, KeyError, ValueError):  # a language spaCy does not know
            return spacy.blank("xx")

    @cached_property
    def stop_words(self) -> frozenset[str]:
        if self.lang == "xx":
            return all_stop_words()
        return frozenset(fold(word) for word in self._nlp.Defaults.stop_words)

    @cached_property
    def lemmas(self) -> dict[str, str]:
        """Surface form -> lemma, folded; empty for languages without a table. Loaded on first use."""
        merged: dict[str, str] = {}
        for name in LEMMA_TABLES.get(self.lang, ()):
            for form, lemma in _read_table(self.lang, name).items():
                if isinstance(lemma, str):
                    merged.setdefault(fold(form), fold(lemma))
        return merged

    @cached_property
    def _lexicon(self) -> frozenset[str]:
        return frozenset(self.lemmas) | frozenset(self.lemmas.values())

    def words(self, text: str) -> list[str]:
        """Folded tokens without punctuation, spaces and stop words."""
        with self._lock:
            doc = self._nlp.make_doc(text)
        out = []
        for token in doc:
            if token.is_punct or token.is_space or token.is_quote or token.is_bracket:
                continue
            word = fold(token.text).strip("-'’.")
            if word and word not in self.stop_words and any(ch.isalnum() for ch in word):
                out.append(word)
        return out

    def lemma(self, word: str) -> str:
        return self.lemmas.get(word, word)

    def terms(self, text: str) -> list[str]:
        """Lemmas plus the parts of compounds, the doc-side view of ``text``."""
        out = []
        for word in self.words(text):
            out.append(self.lemma(word))
            if self.lang in COMPOUND_LINKS:
                parts = split_compound(word, self._lexicon.__contains__, COMPOUND_LINKS[self.lang])
                out.extend(lemma for lemma in map(self.lemma, parts) if lemma not in self.stop_words)
        return out


def split_compound(word: str, known, links: Sequence[str]) -> tuple[str, ...]:
    """The (head, modifier) of a closed compound, longest known head first; () if none.

    ``known`` says whether a string is a word; a modifier may end in a linking letter
    ("vaccination-s-intyg"). Parts shorter than MIN_PART are never proposed.
    """
    if len(word) < 2 * MIN_PART:
        return ()
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        head, left = word[cut:], word[:cut]
        if not known(head):
            continue
        for link in links:
            modifier = left[: len(left) - len(link)] if link and left.endswith(link) else left
            if (not link or modifier != left) and len(modifier) >= MIN_PART and known(modifier):
                return head, modifier
    return ()


@cache
def analyzer(lang: str | None) -> Analyzer:
    """One analyser per language per process; tables load lazily on first use."""
    return Analyzer(lang)


@lru_cache(maxsize=1)
def all_stop_words() -> frozenset[str]:
    """Stop words of every supported language, for queries whose language is unknown."""
    from base.definitions import LANGUAGES

    words: set[str] = set()
    for lang in LANGUAGES:
        words |= analyzer(lang).stop_words
    return frozenset(words)


class LexicalIndex:
    """BM25 (bm25s) over analysed documents, with the query-side lemma maps stored beside it.

    ``scores()`` returns, per document, BM25 divided by the summed IDF of the query terms the
    index knows: roughly "which share of the query's informative words this document contains",
    in [0, 1] whatever the query length. That makes the lexical score an absolute quantity that
    can be fused with cosine similarities and thresholded, unlike max-normalised BM25 or
    reciprocal ranks, which always give the best document full marks.
    """

    FILES = ("bm25", "query_lemmas.json")

    def __init__(self, bm25, query_lemmas: dict[str, dict[str, str]], num_docs: int) -> None:
        self._bm25 = bm25
        self._query_lemmas = query_lemmas
        self.num_docs = num_docs
        indptr = np.asarray(bm25.scores["indptr"])
        doc_freq = np.diff(indptr).astype(np.float64)
        self._idf = np.log1p((num_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        self._vocab: dict[str, int] = bm25.vocab_dict

    @classmethod
    def build(cls, docs: Sequence[tuple[str, str | None]], progress: bool = False) -> LexicalIndex:
        """Index ``(text, language)`` documents; loads each language's lemma table once."""
        import bm25s

        corpus = [analyzer(lang).terms(text) or [""] for text, lang in docs]
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        bm25.index(corpus, show_progress=progress)
        vocab = set(bm25.vocab_dict)
        query_lemmas: dict[str, dict[str, str]] = {}
        for lang in sorted({lang for _, lang in docs if lang in LEMMA_TABLES}):
            table = analyzer(lang).lemmas
            query_lemmas[lang] = {form: lemma for form, lemma in table.items() if lemma in vocab and form != lemma}
        return cls(bm25, query_lemmas, len(corpus))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder / "bm25"), show_progress=False)
        (folder / "query_lemmas.json").write_text(json.dumps(self._query_lemmas, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25.load(str(folder / "bm25"), load_corpus=False, show_progress=False)
        query_lemmas = json.loads((folder / "query_lemmas.json").read_text("utf-8"))
        return cls(bm25, query_lemmas, int(bm25.scores["num_docs"]))

    def _known(self, word: str) -> bool:
        return word in self._vocab

    def _lemma(self, word: str, order: Iterable[str]) -> str:
        for lang in order:
            lemma = self._query_lemmas[lang].get(word)
            if lemma is not None:
                return lemma
        return word

    def query_terms(self, query: str, lang: str | None) -> list[str]:
        """The query as index terms: its language's lemma map first, then the others'.

        The fallback matters because users mix languages ("Jak dostać personnummer?") and the
        language detector is wrong on short texts; maps only lead to terms the index has.
        """
        order = [lang] if lang in self._query_lemmas else []
        order += [other for other in self._query_lemmas if other != lang]
        known = self._known
        stop_words = analyzer(lang).stop_words
        out = []
        for word in analyzer(lang).words(query):
            out.append(self._lemma(word, order))
            links = COMPOUND_LINKS.get(lang or "", ("", "s"))
            parts = split_compound(word, lambda part: known(self._lemma(part, order)), links)
            out.extend(lemma for lemma in (self._lemma(part, order) for part in parts) if lemma not in stop_words)
        return out

    def scores(self, query: str, lang: str | None) -> np.ndarray:
        """IDF-coverage-normalised BM25 of every document, in [0, 1]."""
        ids = [self._vocab[term] for term in self.query_terms(query, lang) if term in self._vocab and term]
        if not ids:
            return np.zeros(self.num_docs, dtype=np.float32)
        raw = self._bm25.get_scores(ids)
        norm = float(self._idf[ids].sum())
        return np.clip(raw / max(norm, 1e-9), 0.0, 1.0).astype(np.float32)
