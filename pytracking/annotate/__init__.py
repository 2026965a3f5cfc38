"""The annotation tool: box2seg pseudo-masks for whole tracking / VOS datasets (``run.py``).

sources (dataset readers) -> windows (temporal windows) -> engine (cached, batched inference, on the
crops of ``pytracking.features.preprocessing``) -> writer (atomic outputs, done-markers, summaries,
overlays).
"""
