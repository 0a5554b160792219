"""FAQ answers a host may use for the person's latest question, in the host's language and the person's.

The search is the assistant's own retriever, run in a worker thread: it embeds the question and
must not hold up the event loop that serves every other host and newcomer.
"""

from __future__ import annotations

from base.definitions import FALLBACK_LANGUAGE
from base.workers import off_loop
from handoff.records import Handoff
from knowledge.content.entries import entry_by_id
from knowledge.search.retriever import shared_retriever
from storage.store import StoredMessage


async def suggestions(handoff: Handoff, transcript: list[StoredMessage], host_language: str) -> list[dict[str, str]]:
    question = next((m.text for m in reversed(transcript) if m.direction == "in" and m.text), None)
    if not question:
        return []
    hits = await off_loop(shared_retriever().search, question, handoff.municipality, handoff.language,
                                   None, 2)
    found = []
    for hit in hits:
        entry = entry_by_id(hit.faq_id)
        if entry is None:
            continue
        # Every entry answers in every language the product speaks; a console language outside them
        # (none today) would read the English text.
        person_language = handoff.language if handoff.language in entry.answer else FALLBACK_LANGUAGE
        for_host = entry.answer.get(host_language) or entry.answer[FALLBACK_LANGUAGE]
        for_person = entry.answer[person_language]
        questions = entry.questions.get(host_language) or entry.questions[FALLBACK_LANGUAGE]
        found.append({"id": entry.id, "question": questions[0], "for_host": for_host, "for_person": for_person,
                      "person_language": person_language})
    return found
