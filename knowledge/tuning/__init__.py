"""Tuning of the retriever: the SweFAQ benchmark and the calibrations that write its weights and thresholds.

May import everything else in ``knowledge`` (search, content, model), ``base`` and
``municipalities``; nothing in ``knowledge`` imports it.
"""
