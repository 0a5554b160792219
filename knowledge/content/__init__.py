"""FAQ content: the entries in ``knowledge/faq/`` as typed objects, per municipality, and their validation.

May import ``base`` and ``municipalities`` only; never the model, search or tuning parts.
"""
