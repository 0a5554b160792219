"""The shared base every other package stands on: assistant-wide definitions, the per-language
text catalogs, the bot-message contract and the project's paths.

Kept free of heavy dependencies (PyYAML, Babel's plural rules and the standard library only) and of any other package of
this project, so that every layer above — and both Python environments — can import it.
"""
