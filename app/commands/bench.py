"""Benchmark: retrieval quality on SweFAQ, REST latency, and peak memory of each process (`make bench`).

(a) SweFAQ through the product's retriever, beside the brief's dense-only baseline; and how closely
    the run-time int8 encoder agrees with the float32 model (mean cosine, bar 0.995).
(b) Latency (p50, p95) and requests answered per second through ``POST /api/chat`` with 1, 10 and
    30 conversations at once (each a fresh conversation): an FAQ answer and a fixed reply
    ("thanks"), beside the same fixed reply from a bare Rasa bot started in the same run
    (``app.bare_rasa``) with the ratio, and the product's NLU parse alone.
(c) Where one message's milliseconds go, stage by stage, for a fixed reply and an FAQ answer: the
    app's own stage timers (``base.metrics.STAGE_SECONDS``, read from its /metrics before and after),
    Rasa's NLU parse measured on its own, and what is left of the Rasa call (its tracker store,
    policies and the HTTP round trip to the app's action endpoint).
(d) Peak resident memory of the app server and the Rasa server after all of that, and their sum.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app import bare_rasa
from app.measure import UNLIMITED, gateway_metadata, peak_memory_mib, percentile
from app.settings import on_free_ports
from app.stack import running

QUESTIONS = [
    ("boden", "Hur ställer jag mig i bostadskö i Boden?"),
    ("lulea", "How does the Lulebo housing queue work?"),
    ("skelleftea", "Jak zapisać dziecko do przedszkola?"),
    ("jokkmokk", "Wie bekomme ich eine Personennummer?"),
    ("boden", "Що таке SFI і скільки це коштує?"),
    ("lulea", "¿Necesito neumáticos de invierno?"),
    ("jokkmokk", "Miten haen lapselle päiväkotipaikkaa?"),  # every language of the stage table warmed
]


async def _conversation(client: httpx.AsyncClient, url: str, turns: int, body_of,
                        headers: dict[str, str]) -> list[float]:
    """One conversation's turns in a row; the HTTP API's token (issued with the first answer) is kept."""
    sender = f"bench-{uuid.uuid4().hex[:8]}"
    conversation: dict[str, str] = {}
    timings = []
    for turn in range(turns):
        body = body_of(sender, turn)
        start = time.perf_counter()
        reply = await client.post(url, json=body, headers={**headers, **conversation})
        timings.append((time.perf_counter() - start) * 1000)
        reply.raise_for_status()
        answer = reply.json()
        if isinstance(answer, dict) and answer.get("conversation"):
            conversation = {"Authorization": f"Bearer {answer['conversation']}"}
    return timings


async def _load(url: str, concurrency: int, turns: int, body_of, headers: dict[str, str] | None = None
                ) -> tuple[list[float], float]:
    """Every request's milliseconds, and the requests answered per second over the whole load."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=100)) as client:
        start = time.perf_counter()
        results = await asyncio.gather(*[_conversation(client, url, turns, body_of, headers or {})
                                         for _ in range(concurrency)])
        seconds = time.perf_counter() - start
    timings = [t for timings in results for t in timings]
    return timings, len(timings) / seconds


#: Conversations at once, and each one's turns (enough requests for a sustained rate).
LOADS = ((1, 24), (10, 10), (30, 8))


def latency(app_url: str, rasa_url: str, internal_token: str, bare_url: str) -> None:
    def faq(sender: str, turn: int) -> dict:
        municipality, question = QUESTIONS[turn % len(QUESTIONS)]
        return {"message": question, "municipality": municipality}

    def thanks(sender: str, turn: int) -> dict:
        return {"message": "thanks", "municipality": "boden"}

    def bare(sender: str, turn: int) -> dict:
        return {"sender": sender, "message": "thanks"}

    # The gateway computes each message's vector before Rasa parses it (timed as its own stage).
    vectors = [gateway_metadata(q) for _, q in QUESTIONS]
    # Warm up: the first conversation of each kind loads caches.
    asyncio.run(_load(f"{app_url}/api/chat", 2, len(QUESTIONS), faq))
    asyncio.run(_load(f"{bare_url}/webhooks/rest/webhook", 2, 3, bare))
    kinds = {
        "FAQ answer, /api/chat": (f"{app_url}/api/chat", faq, {}),
        "fixed reply, /api/chat": (f"{app_url}/api/chat", thanks, {}),
        "fixed reply, bare Rasa bot": (f"{bare_url}/webhooks/rest/webhook", bare, {}),
        "NLU parse only, product's Rasa": (
            f"{rasa_url}/webhooks/gateway/parse",
            lambda s, t: {"message": QUESTIONS[t % len(QUESTIONS)][1], "metadata": vectors[t % len(QUESTIONS)]},
            {"X-Internal-Token": internal_token}),
    }
    print("\n(b) one request's round trip, ms, and requests answered per second")
    print(f"  {'':<32} {'at once':>7} {'p50':>7} {'p95':>7} {'per s':>7}   (requests)")
    figures: dict[tuple[str, int], tuple[float, float]] = {}
    for name, (url, body_of, headers) in kinds.items():
        for concurrency, turns in LOADS:
            values, rate = asyncio.run(_load(url, concurrency, turns, body_of, headers))
            figures[name, concurrency] = (percentile(values, 50), rate)
            print(f"  {name:<32} {concurrency:>7} {percentile(values, 50):7.0f} {percentile(values, 95):7.0f} "
                  f"{rate:7.1f}   ({len(values)})")
    for concurrency, _ in LOADS:
        (ours, our_rate), (theirs, their_rate) = (figures["fixed reply, /api/chat", concurrency],
                                                  figures["fixed reply, bare Rasa bot", concurrency])
        print(f"  fixed reply, product vs bare Rasa at {concurrency:>2} at once: p50 {ours / theirs:.1f}x, "
              f"throughput {their_rate / our_rate:.1f}x lower")


def _stage_totals(app_url: str) -> dict[str, tuple[float, float]]:
    """Per stage: (count, seconds) so far, from the app's Prometheus figures."""
    totals: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(httpx.get(f"{app_url}/metrics", timeout=10).text):
        if family.name != "newcomer_stage_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith(("_count", "_sum")):
                slot = totals.setdefault(sample.labels["stage"], [0.0, 0.0])
                slot[sample.name.endswith("_sum")] = sample.value
    return {name: (count, seconds) for name, (count, seconds) in totals.items()}


def _stage_run(app_url: str, rasa_url: str, internal_token: str, messages: list[tuple[str, str]]) -> dict[str, float]:
    """Mean milliseconds per message in each stage, over one conversation per message (after a greeting)."""
    async def conversation(client: httpx.AsyncClient, municipality: str, text: str) -> float:
        body = {"message": "hello", "municipality": municipality, "language": "en"}
        first = (await client.post(f"{app_url}/api/chat", json=body)).json()
        headers = {"Authorization": f"Bearer {first['conversation']}"}
        before = await asyncio.to_thread(_stage_totals, app_url)
        start = time.perf_counter()
        reply = await client.post(f"{app_url}/api/chat", json={"message": text}, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        reply.raise_for_status()
        after = await asyncio.to_thread(_stage_totals, app_url)
        for name, (count, seconds) in after.items():
            was = before.get(name, (0.0, 0.0))
            if count > was[0]:
                spent[name] = spent.get(name, 0.0) + (seconds - was[1]) * 1000
        metadata = gateway_metadata(text)
        parse_start = time.perf_counter()
        (await client.post(f"{rasa_url}/webhooks/gateway/parse", json={"message": text, "metadata": metadata},
                           headers={"X-Internal-Token": internal_token})).raise_for_status()
        spent["rasa: NLU parse (measured alone)"] = spent.get("rasa: NLU parse (measured alone)", 0.0) + \
            (time.perf_counter() - parse_start) * 1000
        return elapsed

    async def run() -> float:
        async with httpx.AsyncClient(timeout=120) as client:
            return sum([await conversation(client, m, t) for m, t in messages])

    spent: dict[str, float] = {}
    total = asyncio.run(run())
    mean = {name: value / len(messages) for name, value in spent.items()}
    inside = sum(value for name, value in mean.items() if name.startswith(("action:", "nlg:", "rasa: NLU")))
    mean["rasa: the rest (tracker, policies, HTTP to the app)"] = mean.get("rasa: whole call", 0.0) - inside
    mean["end to end (client)"] = total / len(messages)
    return mean


#: Texts the stage table sends once each, after the load: warm servers, but no vector computed before.
STAGE_FAQ = [
    ("boden", "Var kan jag parkera bilen på vintern?"),
    ("lulea", "How do I register my child for school?"),
    ("skelleftea", "Gdzie mogę uczyć się szwedzkiego?"),
    ("jokkmokk", "Wie finde ich einen Hausarzt?"),
    ("boden", "Як знайти роботу в Будені?"),
    ("lulea", "¿Dónde puedo alquilar un apartamento?"),
    ("skelleftea", "Miten saan henkilötunnuksen?"),
    ("jokkmokk", "Where can I go skiing?"),
]
STAGE_THANKS = ["thanks", "thank you", "tack så mycket", "danke", "dziękuję", "gracias", "kiitos", "дякую"]


def stage_table(app_url: str, rasa_url: str, internal_token: str) -> None:
    fixed = _stage_run(app_url, rasa_url, internal_token, [("boden", text) for text in STAGE_THANKS])
    faq = _stage_run(app_url, rasa_url, internal_token, STAGE_FAQ)
    print("\n(c) where one message's time goes, mean ms per message   fixed reply   FAQ answer")
    order = sorted(set(fixed) | set(faq), key=lambda n: (n.startswith("end to end"), n.startswith("rasa: the rest"), n))
    for name in order:
        print(f"  {name:<52} {fixed.get(name, 0.0):11.1f} {faq.get(name, 0.0):12.1f}")
    print("  (a stage inside another is counted in both: the retrieval stages run inside action: action_answer_faq,"
          " which runs inside rasa: whole call)")


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m app bench", description=__doc__.splitlines()[0]).parse_args(argv)
    from handoff.privacy import evaluation
    from knowledge.tuning import swefaq

    print("(0) masking of personal data (eval/masking.yml)")
    print("\n".join(evaluation.table(evaluation.evaluate(evaluation.load()))))
    print("\n(a) SweFAQ v2.0 through the product's retriever")
    swefaq.print_bench(swefaq.bench())
    print("\n(a2) the run-time int8 e5 encoder against the float32 model it was exported from")
    from knowledge.tuning import equivalence

    equivalence.print_agreement(equivalence.measure())
    with (tempfile.TemporaryDirectory() as tmp,
          running(on_free_ports(Path(tmp), rate_limits=UNLIMITED), log_dir=Path(tmp)) as stack,
          bare_rasa.running(Path(tmp)) as bare_url):
        latency(stack.app_url, stack.rasa_url, stack.settings.internal_token.get_secret_value(), bare_url)
        stage_table(stack.app_url, stack.rasa_url, stack.settings.internal_token.get_secret_value())
        print("\n(d) peak resident memory, MiB")
        peaks = {name: peak_memory_mib(pid) for name, pid in stack.pids().items()}
        for name, peak in peaks.items():
            print(f"  {name:<6} {peak:8.0f}")
        print(f"  {'both':<6} {sum(peaks.values()):8.0f}")
    return 0

