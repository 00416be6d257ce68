"""The compiled parts of EcoRadar: the HJ 212 decoder (src/ecoradar/hj212/csrc/) and the
detector fold (the pure per-hour rules of src/ecoradar/detection/, compiled by mypyc from the
same Python sources).

Everything else is declared in pyproject.toml; `pip install -e .` builds the extensions next to
their sources. Without a C compiler the install still succeeds and pure Python is used.
"""

import hashlib
import json
import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build the extension if possible; a failed build leaves the pure-Python codec in charge."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers
            print(f"warning: the compiled extensions were not built ({exc}); pure Python is used")
            self.fold_failed = True
        _stamp_fold(whole=not self.fold_failed)

    fold_failed = False

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"warning: {ext.name} was not built ({exc}); pure Python is used")
            if ext.name.startswith("ecoradar.detection.") or "__mypyc" in ext.name:
                self.fold_failed = True


DETECTION = Path("src/ecoradar/detection")
FOLD = ("params", "runs", "daily", "sequence", "collapse", "detectors", "stream")
"""Kept equal to ecoradar.detection.compiled.FOLD (a test checks)."""


def _fold_extensions() -> list[Extension]:
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("warning: mypyc is missing: the detector fold runs as Python")
        return []
    sources = [str(DETECTION / f"{m}.py") for m in FOLD]
    # the project's mypy settings name a plugin the build does not install: type-check the
    # fold alone, strictly
    options = ["--config-file", os.devnull, "--strict", "--follow-imports", "silent"]
    return list(mypycify([*options, *sources], opt_level="3"))


def _stamp_fold(*, whole: bool) -> None:
    """What ecoradar.detection.compiled checks: the digest of each source compiled. A fold
    built in part (its shared library missing) is removed: the sources are used."""
    if not whole:
        for m in FOLD:
            for path in DETECTION.glob(f"{m}.*.so"):
                path.unlink()
    built = [m for m in FOLD if any(DETECTION.glob(f"{m}.*.so"))]
    digests = {m: hashlib.sha256((DETECTION / f"{m}.py").read_bytes()).hexdigest() for m in built}
    (DETECTION / "_compiled.json").write_text(json.dumps(digests, indent=1) + "\n")


setup(
    ext_modules=[
        *_fold_extensions(),
        Extension(
            "ecoradar.hj212._codec",
            sources=sorted(str(path) for path in Path("src/ecoradar/hj212/csrc").glob("*.c")),
            depends=sorted(str(path) for path in Path("src/ecoradar/hj212/csrc").glob("*.h")),
            extra_compile_args=["-O2", "-fvisibility=hidden", "-Wall", "-Wextra"],
        ),
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
