"""Every HJ 212 test runs twice: with the pure-Python decoder and with the compiled one.

The ``codec_path`` fixture points every ``decode`` that modules imported from
:mod:`ecoradar.hj212.codec` at the decoder of the run, and sets ``ECORADAR_PURE_CODEC`` for
child processes. A missing extension fails the compiled run: ``pip install -e .`` builds it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from ecoradar.hj212 import codec, native


@pytest.fixture(params=["pure", "compiled"], autouse=True)
def codec_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    chosen = codec.decode_pure if request.param == "pure" else codec.decode_compiled
    if chosen is None:
        pytest.fail("the compiled HJ 212 codec is not built: run `pip install -e .`")
    monkeypatch.setenv(native.FORCE_PURE, "1" if request.param == "pure" else "0")
    default = codec.decode
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] in ("ecoradar", "tests") and (
            getattr(module, "decode", None) is default
        ):
            monkeypatch.setattr(module, "decode", chosen)
    yield request.param
