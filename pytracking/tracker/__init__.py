"""Trackers (pytracking's ``pytracking/tracker/<name>/``); run them with ``pytracking/run_tracker.py``."""
