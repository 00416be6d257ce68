"""Detection: find exceedances, falsification patterns and device problems as data streams in."""
