"""The host console: relocation hosts log in, see their municipality's queue, tickets and chats,
claim a conversation, chat with the person on their own channel, hand back to the bot or resolve.

Server-rendered pages (Jinja2, autoescaped; ``pages``), their routes (``routes``), a websocket that
tells an open console when something changed (``live``), FAQ suggestions for the person's latest
question (``suggestions``) and sessions with CSRF and origin checks (``auth``). What a host *does*
is the handoff desk's (``handoff.desk``); the console only shows and asks. Every route checks that
the host may see the handoff's municipality: a host sees only their own municipality, an admin all.
"""
