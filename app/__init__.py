"""The app server (Python 3.11): actions endpoint, NLG endpoint, chat API, and the launcher."""
