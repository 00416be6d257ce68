"""Write docs/operator/configuration.md from the settings class (``--check``: only compare).

Run from the project's root: ``.venv/bin/python scripts/config_docs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ecoradar.config_docs import OUTPUT, render

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    target = ROOT / OUTPUT
    text = render()
    if "--check" in argv:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is stale: run python scripts/config_docs.py", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
