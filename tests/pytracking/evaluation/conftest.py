"""The synthetic DAVIS-2017 tree and mask-folder writer (tests/pytracking/synthetic_davis.py)."""
from synthetic_davis import synthetic_davis, write_predictions  # noqa: F401  (fixtures)
