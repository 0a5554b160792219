"""The web channel: the embeddable chat widget (``pages``) and the socket.io server it talks to (``channel``)."""
