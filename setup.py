"""The compiled part of EcoRadar: the HJ 212 decoder (src/ecoradar/hj212/csrc/).

Everything else is declared in pyproject.toml; `pip install -e .` builds the extension next to
its sources. Without a C compiler the install still succeeds and the pure-Python decoder is used.
"""

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build the extension if possible; a failed build leaves the pure-Python codec in charge."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers
            print(f"warning: the compiled HJ 212 codec was not built ({exc}); pure Python is used")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"warning: {ext.name} was not built ({exc}); pure Python is used")


setup(
    ext_modules=[
        Extension(
            "ecoradar.hj212._codec",
            sources=sorted(str(path) for path in Path("src/ecoradar/hj212/csrc").glob("*.c")),
            depends=sorted(str(path) for path in Path("src/ecoradar/hj212/csrc").glob("*.h")),
            extra_compile_args=["-O2", "-fvisibility=hidden", "-Wall", "-Wextra"],
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
