"""The human handoff: when the assistant cannot help, a relocation host of the municipality can.

``records`` (one row per request, its states), ``intake`` (how to be contacted, what it is about,
consent — then queue or ticket), ``desk`` (what a host does: claim, write, hand back, resolve),
``hosts`` (accounts, throttling, who is online), ``privacy`` (masking), ``retention`` (deletion),
``notify`` (e-mail to hosts), ``events`` (what open consoles are told) and ``texts`` (the hosts'
texts). Stands on the storage, the assistant's catalogs and the tenant files; the gateway and the
console stand on it.
"""
