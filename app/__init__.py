"""The top of the house: assembles the ASGI app (``server``), serves the endpoints only Rasa calls
(``internal``), reads the process settings, starts the process stack, and holds every command
(``commands``, run as ``python -m app <command>``). Nothing below imports it."""
