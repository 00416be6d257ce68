"""Detection: find exceedances, falsification patterns and device problems as data streams in."""

from ecoradar.detection.compiled import choose

FOLD_BUILD = choose()
"""The detector fold in use: "compiled" (mypyc, ``setup.py``) or "pure" (the sources)."""
