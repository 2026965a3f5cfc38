"""The annotation tool: box2seg pseudo-masks for whole tracking / VOS datasets (``run.py``).

sources (dataset readers) -> windows (temporal windows) -> crop (crop, paste-back) -> engine
(cached, batched inference) -> writer (atomic outputs, done-markers, summaries, overlays).
"""
