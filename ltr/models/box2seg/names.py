"""The names of box2seg's network variants (Table 2) and spatio-temporal aggregations (Table 3), torch-free
so that command lines can offer them quickly."""
from __future__ import annotations

VARIANTS = ("SingleImage", "MultiFrame", "MultiFrame+", "MultiFrameIterative")
AGGREGATIONS = ("steepest_descent", "attention", "concat")
