"""Municipalities maintain their own FAQ answers: drafts, checks and publishing from the console."""
