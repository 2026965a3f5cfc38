"""Tracker parameter modules: ``pytracking/parameter/<tracker>/<name>.py`` with ``parameters()``."""
