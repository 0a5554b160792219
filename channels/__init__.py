"""The channel adapters: everything that speaks a platform's protocol, one package or module each.

``web`` (the widget and Rasa's socket.io protocol), ``telegram`` (python-telegram-bot), ``whatsapp``
(Meta's Cloud API), ``http_api`` (``POST /api/chat``), and ``config`` (which bots and numbers serve
which municipality). Each adapter implements ``gateway.channel.Channel`` and is registered with the
gateway by ``app.server``; adapters never import each other or the console.
"""
