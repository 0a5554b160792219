"""FAQ knowledge of the assistant: the content, the embedding model, retrieval, and its tuning.

Four parts, each depending only on the ones below it, so that each can be read and tested alone:

* ``knowledge.tuning`` — benchmarks and calibrations that choose the retriever's settings;
* ``knowledge.search`` — the per-municipality index, lexical signal and hybrid retriever;
* ``knowledge.content`` (the FAQ entries and their validation) and ``knowledge.model`` (the
  embedding model: provisioning and the embedder), which do not know each other;
* ``knowledge.files`` — folder swapping and the one file lock the model and index builders share.

Everything here may use ``base`` and ``municipalities``, and nothing above this package (the app,
actions, connectors, handoff, bot): commands that drive it live in ``app.commands``. The FAQ data
itself is the YAML in ``knowledge/faq/``.
"""
