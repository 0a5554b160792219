"""What the product counts for its operator, in Prometheus' terms (served at ``/metrics``).

Defined once here, at the bottom, because the gateway, the handoff and the app all record into
them. Labels carry channels, municipalities and outcomes — never a conversation, a person or a
text. Each app process serves its own figures; Prometheus scrapes every process and sums.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_IN = Counter("newcomer_messages_in_total", "Messages people sent", ["channel", "municipality"])
MESSAGES_OUT = Counter("newcomer_messages_out_total", "Messages sent to people", ["channel", "municipality", "author"])
REPLY_SECONDS = Histogram("newcomer_reply_seconds", "From a person's message to the replies being ready",
                          ["channel"], buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20))
RASA_FAILURES = Counter("newcomer_rasa_failures_total", "Messages Rasa did not answer", ["reason"])
QUEUE_LENGTH = Gauge("newcomer_queue_length", "Conversations waiting for a host", ["municipality"])
QUEUE_WAIT_SECONDS = Histogram("newcomer_queue_wait_seconds", "From joining the queue to a host's claim",
                               ["municipality"], buckets=(10, 30, 60, 120, 300, 600, 1200, 1800, 3600))
HANDOFFS = Counter("newcomer_handoffs_total", "Handoffs by what became of them", ["municipality", "outcome"])

#: Where one message's milliseconds go (``make bench`` prints the table); one label per stage of
#: the message path, never per conversation. Rasa's own NLU parse is measured by the bench itself.
STAGE_SECONDS = Histogram("newcomer_stage_seconds", "Time spent in one stage of answering a message", ["stage"],
                          buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the enclosed block as one stage of the message path (also when it raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        STAGE_SECONDS.labels(name).observe(time.perf_counter() - start)
