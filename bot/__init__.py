"""Code that runs inside the Rasa server (Python 3.10), plus assistant-wide definitions.

Nothing here may import a package that only the app environment has.
"""
