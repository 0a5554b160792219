"""Virtual newcomers: many multi-turn conversations at once, on every channel, and what became of them.

Each newcomer talks like a person — asks, waits for the answer, asks again — in one of six
languages, on the web widget (socket.io), Telegram (signed webhooks to the product, replies at the
Bot API stand-in), WhatsApp (signed webhooks, replies at the Graph API stand-in) or the HTTP API;
some ask for a person and a virtual host answers them from the console. Like the platforms, a
client sends a message again (with the same id) when the product did not take it — a 5xx, a
dropped connection — so a fault costs time, not messages. Afterwards the records are checked:
every message stored exactly once, answered once, and in the order the person wrote.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import socketio
from sqlalchemy import bindparam, create_engine, text

from app.platforms import FakeGraphApi, FakeTelegram, meta_signature, whatsapp_webhook
from storage.migrate import sync_url

#: Questions people ask, per language (each conversation asks three and says thanks).
QUESTIONS = {
    "sv": ["Hur ställer jag mig i bostadskö?", "Hur får jag förskoleplats?", "Var läser jag SFI?", "Tack!"],
    "en": ["How does the housing queue work?", "How do I get a personal identity number?",
           "Do I need winter tyres?", "Thanks!"],
    "pl": ["Jak znaleźć mieszkanie?", "Jak zapisać dziecko do przedszkola?", "Gdzie jest przychodnia?",
           "Dziękuję!"],
    "de": ["Wie finde ich eine Wohnung?", "Wie bekomme ich eine Personennummer?", "Wo lerne ich Schwedisch?",
           "Danke!"],
    "uk": ["Як знайти житло?", "Як записати дитину до дитячого садка?", "Що таке SFI?", "Дякую!"],
    "es": ["¿Cómo encuentro una vivienda?", "¿Necesito neumáticos de invierno?", "¿Cómo me registro?",
           "¡Gracias!"],
}
HANDOFF = {"en": ["I want to talk to a person", "/handoff_chat", "We need help with a school place.",
                  "/handoff_yes"],
           "sv": ["Jag vill prata med en människa", "/handoff_chat", "Vi behöver hjälp med skolplats.",
                  "/handoff_yes"]}
MUNICIPALITIES = ("boden", "lulea", "skelleftea", "jokkmokk")
ANSWER_TIMEOUT = 90.0
#: Sends a message (True once the product took it), or tells whether its answer came.
Attempt = Callable[[], Awaitable[bool]]
RETRY_EVERY = 2.0


@dataclass
class Sent:
    """One message a virtual newcomer sent, and when (if ever) its answer came."""

    channel: str
    conversation: str  # as the records name it
    message_id: str
    turn: int
    sent_at: float
    answered_at: float | None = None
    attempts: int = 1


@dataclass
class Report:
    sent: list[Sent] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    started: float = field(default_factory=time.monotonic)
    finished: float = 0.0
    checks: dict[str, int] = field(default_factory=dict)
    handoffs_answered: int = 0
    #: For each message the records lack: "channel message-id conversation (found elsewhere: ...)".
    lost: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        seconds = max(self.finished - self.started, 1e-9)
        rows = [f"  {'channel':<9} {'sent':>6} {'answered':>9} {'retried':>8} {'msg/s':>7} "
                f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
        for channel in [*sorted({s.channel for s in self.sent}), "all"]:
            items = [s for s in self.sent if channel in ("all", s.channel)]
            waits = sorted((s.answered_at - s.sent_at) * 1000 for s in items if s.answered_at)
            rows.append(f"  {channel:<9} {len(items):>6} {len(waits):>9} {sum(s.attempts > 1 for s in items):>8} "
                        f"{len(waits) / seconds:>7.1f} {_pct(waits, 50):>8.0f} {_pct(waits, 95):>8.0f} "
                        f"{_pct(waits, 99):>8.0f}")
        rows.append(f"  {len(self.sent)} messages in {seconds:.0f} s; client-side failures (answered by a retry): "
                    + (", ".join(f"{k} {v}" for k, v in sorted(self.failures.items())) or "none"))
        rows.append(f"  handoffs answered by the virtual host: {self.handoffs_answered}")
        rows.append("  from the records: " + ", ".join(f"{k} {v}" for k, v in self.checks.items()))
        rows += [f"    lost: {item}" for item in self.lost[:10]]
        return rows


def _pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Target:
    """Where the product is, and what the virtual newcomers need to reach it."""

    url: str  # the public address (nginx, or the app itself)
    database_url: str
    telegram: FakeTelegram
    telegram_bot: str
    telegram_token: str
    telegram_secret: str
    graph: FakeGraphApi
    whatsapp_number: str
    whatsapp_secret: str
    host_email: str
    host_password: str


class Newcomers:
    def __init__(self, target: Target, deadline: float) -> None:
        self.target = target
        self.deadline = deadline
        self.report = Report()
        self._ids = itertools.count(1)
        self._chats = itertools.count(int(time.time()) % 1_000_000 * 1000)
        self._running = True

    # ----------------------------------------------------------------------------- one turn each
    async def _until_answered(self, sent: Sent, attempt: Attempt, answered: Attempt) -> None:
        """Send, and send again with the same id (as platforms do) until the product takes it."""
        while time.monotonic() < self.deadline:
            try:
                if await attempt():
                    break
            except (httpx.HTTPError, OSError, socketio.exceptions.SocketIOError) as exc:
                self.report.failures[type(exc).__name__] += 1
            sent.attempts += 1
            await asyncio.sleep(RETRY_EVERY)
        give_up = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < min(give_up, self.deadline):
            if await answered():
                sent.answered_at = time.monotonic()
                return
            await asyncio.sleep(0.05)

    async def api(self, client: httpx.AsyncClient, language: str, municipality: str, handoff: bool) -> None:
        token: str | None = None
        lines = HANDOFF[language] if handoff else QUESTIONS[language]
        for turn, line in enumerate(lines):
            message_id = f"load-{next(self._ids)}"
            sent = Sent("api", "", message_id, turn, time.monotonic())
            self.report.sent.append(sent)
            answer: list[dict] = []

            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {"message": line, "municipality": municipality, "language": language, "message_id": message_id}

            async def attempt(headers: dict = headers, body: dict = body, answer: list = answer) -> bool:
                reply = await client.post(f"{self.target.url}/api/chat", headers=headers, json=body)
                if reply.status_code >= 500 or reply.status_code == 429:
                    self.report.failures[f"http {reply.status_code}"] += 1
                    return False
                answer.append(reply.json())
                return True

            async def answered(answer: list = answer) -> bool:
                return bool(answer)

            await self._until_answered(sent, attempt, answered)
            if not answer:
                return
            token = answer[0].get("conversation", token)
            sent.conversation = "api:" + (token or "").split(".")[0]
        if handoff and token:
            await self._host_reply(client, token)

    async def _host_reply(self, client: httpx.AsyncClient, token: str) -> None:
        """Wait (bounded) until the virtual host's message reaches this person."""
        give_up = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < min(give_up, self.deadline):
            try:
                later = await client.get(f"{self.target.url}/api/chat/messages",
                                         headers={"Authorization": f"Bearer {token}"})
                if later.status_code == 200 and any(m.get("author") == "host" for m in later.json()["messages"]):
                    self.report.handoffs_answered += 1
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)

    async def telegram(self, client: httpx.AsyncClient, language: str) -> None:
        chat = next(self._chats)
        conversation = f"telegram:{self.target.telegram_bot}:{chat}"
        for turn, line in enumerate(QUESTIONS[language]):
            before = len(self.target.telegram.sent(self.target.telegram_token, chat))
            update_id, message_id = next(self._ids), next(self._ids)
            update = {"update_id": update_id, "message": {
                "message_id": message_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "Load", "language_code": language},
                "text": line}}
            sent = Sent("telegram", conversation, str(message_id), turn, time.monotonic())
            self.report.sent.append(sent)

            async def attempt(update: dict = update) -> bool:
                reply = await client.post(f"{self.target.url}/telegram/{self.target.telegram_bot}/webhook", json=update,
                                          headers={"X-Telegram-Bot-Api-Secret-Token": self.target.telegram_secret})
                if reply.status_code != 200:
                    self.report.failures[f"http {reply.status_code}"] += 1
                return reply.status_code == 200

            async def answered(before: int = before) -> bool:
                return len(self.target.telegram.sent(self.target.telegram_token, chat)) > before

            await self._until_answered(sent, attempt, answered)
            await asyncio.sleep(0.3)  # the rest of the answer's parts

    async def whatsapp(self, client: httpx.AsyncClient, language: str) -> None:
        wa_id = f"4670{next(self._chats) % 10_000_000:07d}"
        conversation = f"whatsapp:{self.target.whatsapp_number}:{wa_id}"
        for turn, line in enumerate(QUESTIONS[language]):
            before = len(self.target.graph.sent_to(wa_id))
            payload = whatsapp_webhook(self.target.whatsapp_number, wa_id, {"type": "text", "text": {"body": line}})
            message_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            body = json.dumps(payload).encode()
            sent = Sent("whatsapp", conversation, message_id, turn, time.monotonic())
            self.report.sent.append(sent)

            async def attempt(body: bytes = body) -> bool:
                reply = await client.post(f"{self.target.url}/whatsapp/webhook", content=body, headers={
                    "content-type": "application/json",
                    "x-hub-signature-256": meta_signature(self.target.whatsapp_secret, body)})
                if reply.status_code != 200:
                    self.report.failures[f"http {reply.status_code}"] += 1
                return reply.status_code == 200

            async def answered(before: int = before) -> bool:
                return len(self.target.graph.sent_to(wa_id)) > before

            await self._until_answered(sent, attempt, answered)
            await asyncio.sleep(0.3)

    async def web(self, language: str, municipality: str) -> None:
        sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)
        inbox: asyncio.Queue[dict] = asyncio.Queue()
        session: dict[str, str] = {}
        confirmed = asyncio.Event()

        @sio.on("connect")
        async def connected() -> None:
            await sio.emit("session_request", {"session_id": session.get("token")})

        @sio.on("session_confirm")
        async def confirm(token: str) -> None:
            session["token"] = token
            confirmed.set()

        @sio.on("bot_uttered")
        async def uttered(message: dict) -> None:
            await inbox.put(message)

        try:
            await sio.connect(self.target.url, transports=["websocket"], wait_timeout=30)
            await asyncio.wait_for(confirmed.wait(), 30)
            for turn, line in enumerate(QUESTIONS[language]):
                message_id = f"load-{next(self._ids)}"
                sent = Sent("web", "web:" + session["token"].split(".")[0], message_id, turn, time.monotonic())
                self.report.sent.append(sent)
                got: list[dict] = []

                async def attempt(line: str = line, message_id: str = message_id, got: list = got) -> bool:
                    if not sio.connected:
                        raise OSError("the socket is reconnecting")
                    await sio.emit("user_uttered", {"message": line, "session_id": session["token"],
                                                    "message_id": message_id,
                                                    "customData": {"municipality": municipality,
                                                                   "language": language}})
                    try:
                        reply = await asyncio.wait_for(inbox.get(), 20)
                    except TimeoutError:
                        return False  # sent while a process died: send it again (same id, answered once)
                    if reply.get("not_taken") == message_id:  # not stored: sent again, as the widget offers
                        self.report.failures["web not taken"] += 1
                        return False
                    got.append(reply)
                    return True

                async def answered(got: list = got) -> bool:
                    return bool(got)

                await self._until_answered(sent, attempt, answered)
                await asyncio.sleep(0.3)
                while not inbox.empty():
                    inbox.get_nowait()
        except (TimeoutError, socketio.exceptions.SocketIOError, OSError) as exc:
            self.report.failures[f"web {type(exc).__name__}"] += 1
        finally:
            await sio.disconnect()

    # ---------------------------------------------------------------------------------- the host
    async def host(self) -> None:
        """A relocation host who claims every waiting conversation, writes once and resolves it."""
        async with httpx.AsyncClient(base_url=self.target.url, timeout=30, follow_redirects=False) as console:
            while self._running:
                try:
                    await self._host_round(console)
                except (httpx.HTTPError, AttributeError, ValueError):
                    await asyncio.sleep(1)
                await asyncio.sleep(0.5)

    async def _host_round(self, console: httpx.AsyncClient) -> None:
        if "host_session" not in console.cookies:
            await console.post("/console/login", data={"email": self.target.host_email,
                                                       "password": self.target.host_password})
        page = await console.get("/console")
        if page.status_code == 401:
            console.cookies.clear()
            return
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        # The queue and the tickets (outside office hours a request becomes a ticket); active ones refuse a claim.
        for handoff in dict.fromkeys(re.findall(r"/console/handoffs/(\d+)", page.text)):
            if csrf is None:
                return
            form = {"csrf": csrf.group(1)}
            claimed = await console.post(f"/console/handoffs/{handoff}/claim", data=form)
            if claimed.status_code != 303:
                continue
            await console.post(f"/console/handoffs/{handoff}/message", data={**form, "text": "Hej! Anna här."})
            await console.post(f"/console/handoffs/{handoff}/resolve", data={**form, "note": "load test"})

    # -------------------------------------------------------------------------------------- run
    async def run(self, conversations: int, concurrency: int, handoff_share: float = 0.05) -> Report:
        languages = list(QUESTIONS)
        plan = []
        for number in range(conversations):
            channel = ("web", "telegram", "whatsapp", "api")[number % 4]
            handoff = channel == "api" and (number // 4) % max(1, round(1 / handoff_share)) == 0
            municipality = "boden" if handoff else MUNICIPALITIES[number % 4]  # the virtual host works for Boden
            plan.append((channel, languages[number % len(languages)], municipality, handoff))
        queue: asyncio.Queue[tuple] = asyncio.Queue()
        for item in plan:
            queue.put_nowait(item)
        host = asyncio.create_task(self.host())
        limits = httpx.Limits(max_connections=concurrency * 2)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            async def worker() -> None:
                while not queue.empty() and time.monotonic() < self.deadline:
                    channel, language, municipality, handoff = queue.get_nowait()
                    if channel == "api":
                        await self.api(client, "en" if handoff else language, municipality, handoff)
                    elif channel == "telegram":
                        await self.telegram(client, language)
                    elif channel == "whatsapp":
                        await self.whatsapp(client, language)
                    else:
                        await self.web(language, municipality)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        self._running = False
        host.cancel()
        self.report.finished = time.monotonic()
        return self.report


def settle(report: Report, database_url: str, at_most: float) -> None:
    """Wait until the records hold no message of this load still waiting for its answer.

    After faults, a message left unanswered by a dead process is taken up by another process's
    sweep; waiting for that (bounded) instead of a fixed pause keeps short fault runs short.
    """
    conversations = sorted({sent.conversation for sent in report.sent if sent.conversation})
    if not conversations:
        return
    engine = create_engine(sync_url(database_url))
    deadline = time.monotonic() + at_most
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as db:
                    waiting = db.execute(text("SELECT count(*) FROM messages WHERE direction = 'in' "
                                              "AND status = 'received' AND conversation_id IN :c")
                                         .bindparams(bindparam("c", expanding=True)), {"c": conversations}).scalar()
            except Exception:  # the records restarting a moment ago
                waiting = -1
            if waiting == 0:
                return
            time.sleep(1)
    finally:
        engine.dispose()


def check_records(report: Report, database_url: str, telegram: FakeTelegram, token: str, graph: FakeGraphApi) -> None:
    """What the records say: each message stored once, answered, in order; nothing delivered twice."""
    sent_by_conversation: dict[str, list[Sent]] = defaultdict(list)
    for sent in report.sent:
        if sent.conversation:
            sent_by_conversation[sent.conversation].append(sent)
    engine = create_engine(sync_url(database_url))
    lost = duplicated = unanswered = out_of_order = apologies = 0
    with engine.connect() as db:
        for conversation, items in sent_by_conversation.items():
            rows = db.execute(text("SELECT direction, external_id, status, data FROM messages "
                                   "WHERE conversation_id = :c ORDER BY id"), {"c": conversation}).all()
            inbound = [row for row in rows if row[0] == "in"]
            stored_ids = [row[1] for row in inbound]
            for sent in items:
                count = stored_ids.count(sent.message_id)
                lost += count == 0
                if count == 0:
                    elsewhere = db.execute(text("SELECT conversation_id, status FROM messages WHERE external_id = :m "
                                                "AND direction = 'in'"), {"m": sent.message_id}).all()
                    report.lost.append(f"{sent.channel} {sent.message_id} turn {sent.turn} in {conversation}; "
                                       f"answered {sent.answered_at is not None}; attempts {sent.attempts}; "
                                       f"stored elsewhere: {[tuple(row) for row in elsewhere]}")
                duplicated += max(0, count - 1)
            unanswered += sum(row[2] == "received" for row in inbound)
            order = [stored_ids.index(s.message_id) for s in sorted(items, key=lambda s: s.turn)
                     if s.message_id in stored_ids]
            out_of_order += order != sorted(order)
            for row in rows:
                data = row[3] if isinstance(row[3], dict) else json.loads(row[3] or "{}")
                apologies += row[0] == "out" and (data.get("custom") or {}).get("response") == \
                    "utter_service_unavailable"
            outbound = [row for row in rows if row[0] == "out"]
            if conversation.startswith("telegram:"):
                delivered = telegram.sent(token, int(conversation.rsplit(":", 1)[1]))
                duplicated += max(0, len(delivered) - len(outbound) * 2)  # a long answer may be sent in parts
            if conversation.startswith("whatsapp:"):
                delivered = graph.sent_to(conversation.rsplit(":", 1)[1])
                duplicated += max(0, len(delivered) - len(outbound) * 2)
    engine.dispose()
    report.checks = {"messages lost": lost, "stored or delivered twice": duplicated,
                     "left unanswered": unanswered, "conversations out of order": out_of_order,
                     "apologies sent": apologies}



def answered_everything(report: Report) -> bool:
    return all(s.answered_at for s in report.sent)
