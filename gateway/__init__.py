"""The gateway every channel goes through, between the channel adapters and Rasa.

``inbound`` (one message from any channel), ``text`` (cleaning and typed commands), ``rasa`` (the
client of Rasa's gateway channel), ``locks`` (one conversation's messages in order), ``channel``
(the interface every adapter implements) and ``gateway`` (the coordinator: store, route, reply,
deliver). It stands on the handoff, the conversation store and the assistant's renderer; the
channel adapters and the console stand on it.
"""
