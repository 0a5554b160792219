"""WhatsApp Cloud API: Meta's webhooks in, Graph API messages out.

Meta first checks the webhook with a GET handshake (``hub.verify_token`` / ``hub.challenge``);
then every POST is signed: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the
app secret>``. A request whose signature does not match is refused before anything is parsed.
Each phone number id belongs to one municipality. Replies go to
``<graph_api_url>/<phone_number_id>/messages``; buttons become interactive reply buttons (up to
three short ones) or a list (up to ten). ``cloud_api`` is the wire format, ``channel`` the adapter.

Why not a client library: pywa 4.5, the maintained one, hard-codes ``graph.facebook.com`` as its
base URL, so tests could not point it at a local server; the wire format used here is one
HMAC and three JSON shapes.
"""
