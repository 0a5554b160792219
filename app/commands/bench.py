"""Benchmark: retrieval quality on SweFAQ, REST latency, and peak memory of each process (`make bench`).

(a) SweFAQ through the product's retriever, beside the brief's dense-only baseline.
(b) Round-trip latency of the HTTP chat endpoint for a question answered from the index, at 1 and
    10 concurrent conversations, beside Rasa's own figures: NLU parse only, and a fixed response
    with no FAQ action (utter_thanks).
(c) Peak resident memory of the app server and the Rasa server.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from app.measure import peak_memory_mib, percentile
from app.settings import on_free_ports
from app.stack import running

QUESTIONS = [
    ("boden", "Hur ställer jag mig i bostadskö i Boden?"),
    ("lulea", "How does the Lulebo housing queue work?"),
    ("skelleftea", "Jak zapisać dziecko do przedszkola?"),
    ("jokkmokk", "Wie bekomme ich eine Personennummer?"),
    ("boden", "Що таке SFI і скільки це коштує?"),
    ("lulea", "¿Necesito neumáticos de invierno?"),
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


async def _load(url: str, concurrency: int, turns: int, body_of, headers: dict[str, str] | None = None) -> list[float]:
    async with httpx.AsyncClient(timeout=120) as client:
        results = await asyncio.gather(*[_conversation(client, url, turns, body_of, headers or {})
                                         for _ in range(concurrency)])
    return [t for timings in results for t in timings]


def latency(app_url: str, rasa_url: str, internal_token: str, rasa_token: str) -> None:
    def faq(sender: str, turn: int) -> dict:
        municipality, question = QUESTIONS[turn % len(QUESTIONS)]
        return {"message": question, "municipality": municipality}

    def fixed(sender: str, turn: int) -> dict:
        return {"sender": sender, "message": "thanks", "metadata": {"municipality": "boden"}}

    # Warm up: the first conversation of each kind loads caches.
    asyncio.run(_load(f"{app_url}/api/chat", 1, len(QUESTIONS), faq))
    print("\n(b) latency of one REST round trip, ms   p50     p95    (requests)")
    for concurrency in (1, 10):
        turns = 12 if concurrency == 1 else 6
        rows = {
            "FAQ answer via /api/chat": asyncio.run(_load(f"{app_url}/api/chat", concurrency, turns, faq)),
            "fixed response, Rasa only": asyncio.run(
                _load(f"{rasa_url}/webhooks/gateway/webhook", concurrency, turns, fixed,
                      {"X-Internal-Token": internal_token})
            ),
            "NLU parse only, Rasa": asyncio.run(
                _load(f"{rasa_url}/model/parse?token={rasa_token}", concurrency, turns,
                      lambda s, t: {"text": QUESTIONS[t % 6][1]})
            ),
        }
        for name, values in rows.items():
            print(f"  {concurrency:>2} concurrent  {name:<28} {percentile(values, 50):7.0f} "
                  f"{percentile(values, 95):7.0f}   ({len(values)})")


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m app bench", description=__doc__.splitlines()[0]).parse_args(argv)
    from handoff.privacy import evaluation
    from knowledge.tuning import swefaq

    print("(0) masking of personal data (eval/masking.yml)")
    print("\n".join(evaluation.table(evaluation.evaluate(evaluation.load()))))
    print("\n(a) SweFAQ v2.0 through the product's retriever")
    swefaq.print_bench(swefaq.bench())
    with tempfile.TemporaryDirectory() as tmp, running(on_free_ports(Path(tmp)), log_dir=Path(tmp)) as stack:
        latency(stack.app_url, stack.rasa_url, stack.settings.internal_token.get_secret_value(),
                stack.settings.rasa_token.get_secret_value())
        print("\n(c) peak resident memory, MiB")
        for name, pid in stack.pids().items():
            print(f"  {name:<6} {peak_memory_mib(pid):8.0f}")
    return 0

