"""Custom actions (rasa-sdk), served by the app server's /webhook endpoint."""
