"""Every command-line entry point of the product, one module per command: ``python -m app <command>``.

Each module's docstring starts with a one-line summary (shown by ``python -m app --help``) and
defines ``main(argv: list[str] | None) -> int``. Commands live here, at the top, so that the layers
below never read process settings or parse arguments themselves.
"""
