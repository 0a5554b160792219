"""What the product counts for its operator, in Prometheus' terms (served at ``/metrics``).

Defined once here, at the bottom, because the gateway, the handoff and the app all record into
them. Labels carry channels, municipalities and outcomes — never a conversation, a person or a
text. Each app process serves its own figures; Prometheus scrapes every process and sums.
"""

from __future__ import annotations

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
