"""Which build of the detector fold runs: compiled, or the Python source.

``pip install -e .`` compiles the pure fold (:data:`FOLD`: the per-hour rules, no I/O) with
mypyc, next to the sources (``setup.py``), and records a digest of each source it compiled in
:data:`STAMP`. A compiled module shadows its ``.py`` file, so an edited source with an old build
beside it would run the old rules: when any digest differs, a warning says so and the sources
are imported instead (:func:`choose`, run by the package's ``__init__`` before any of them is
imported). ``ECORADAR_PURE_DETECTION=1`` imports the sources in any case; the tests run both
and compare what they find.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

FOLD = ("params", "runs", "daily", "sequence", "collapse", "detectors", "stream")
"""The modules compiled, in the order they import each other."""
PACKAGE = "ecoradar.detection"
STAMP = "_compiled.json"
FORCE_PURE = "ECORADAR_PURE_DETECTION"
HERE = Path(__file__).resolve().parent


def digests(directory: Path, modules: Sequence[str] = FOLD) -> dict[str, str]:
    """The SHA-256 of each module's source."""
    return {m: hashlib.sha256((directory / f"{m}.py").read_bytes()).hexdigest() for m in modules}


def built(directory: Path, modules: Sequence[str] = FOLD) -> list[str]:
    """The modules with a compiled build beside their source."""
    return [m for m in modules if any(directory.glob(f"{m}.*.so"))]


def stale(directory: Path, modules: Sequence[str] = FOLD) -> list[str]:
    """The compiled modules whose source changed since they were built (or that no stamp
    vouches for)."""
    compiled = built(directory, modules)
    if not compiled:
        return []
    try:
        stamped = json.loads((directory / STAMP).read_text())
    except (OSError, ValueError):
        return compiled
    now = digests(directory, compiled)
    return [m for m in compiled if stamped.get(m) != now[m]]


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Imports the fold's modules from their ``.py`` files, past any compiled build."""

    def __init__(self, directory: Path, modules: Sequence[str]) -> None:
        self.files = {f"{PACKAGE}.{m}": directory / f"{m}.py" for m in modules}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self.files.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def _forced_pure() -> bool:
    return os.environ.get(FORCE_PURE, "") not in ("", "0")


def choose() -> str:
    """Decide, before the fold is first imported: "compiled" or "pure"."""
    compiled = built(HERE)
    if not compiled:
        return "pure"
    old = stale(HERE)
    if old:
        warnings.warn(
            f"the compiled detection rules are older than their sources ({', '.join(old)}): "
            "the sources are used; run scripts/setup.sh (pip install -e .) to rebuild",
            RuntimeWarning,
            stacklevel=2,
        )
    if old or _forced_pure():
        sys.meta_path.insert(0, _SourcesFirst(HERE, FOLD))
        return "pure"
    return "compiled"


def in_use() -> str:
    """What the fold imported: "compiled" or "pure"."""
    from ecoradar.detection import detectors

    source = detectors.__file__ is None or detectors.__file__.endswith(".py")
    return "pure" if source else "compiled"
