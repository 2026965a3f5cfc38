"""The names of box2seg's network variants (Table 2) and spatio-temporal aggregations (Table 3), and the
strides its target model can work at, torch-free so that command lines can offer and check them quickly."""
from __future__ import annotations

VARIANTS = ("SingleImage", "MultiFrame", "MultiFrame+", "MultiFrameIterative")
AGGREGATIONS = ("steepest_descent", "attention", "concat")
TARGET_STRIDES = (16, 8)  # of S's maps (x_t, e_t, w_t, s_t) relative to the crop; 16 is the paper's
