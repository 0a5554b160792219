"""FAQ search: the per-municipality index on disk, the lexical signal and the hybrid retriever.

May import ``knowledge.content``, ``knowledge.model``, ``knowledge.files``, ``base`` and
``municipalities``; never ``knowledge.tuning`` (tuning writes the settings this part only reads).
Callers outside ``knowledge`` use :func:`knowledge.search.retriever.shared_retriever`.
"""
