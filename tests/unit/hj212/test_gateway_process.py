"""The process tuning the gateway's commands apply (checked in a child: it is process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys

from ecoradar.hj212.gateway_process import (
    FULL_COLLECTION_THRESHOLD,
    SWITCH_INTERVAL,
    YOUNG_COLLECTION_THRESHOLD,
)

PROBE = """
import gc, json, sys
from ecoradar.hj212.gateway_process import prepare_process
_, middle, _ = gc.get_threshold()
prepare_process()
print(json.dumps({"threshold": gc.get_threshold(), "middle": middle,
                  "switch": sys.getswitchinterval(), "frozen": gc.get_freeze_count()}))
"""


def test_serving_makes_collections_rare_freezes_startup_and_shortens_the_switch() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    tuned = json.loads(out)
    young, middle, full = tuned["threshold"]
    assert (young, full) == (YOUNG_COLLECTION_THRESHOLD, FULL_COLLECTION_THRESHOLD)
    assert middle == tuned["middle"]  # left as CPython sets it
    assert tuned["switch"] == SWITCH_INTERVAL
    assert tuned["frozen"] > 1000  # the modules loaded at startup are out of every collection
