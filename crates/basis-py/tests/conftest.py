"""Shared fixtures: the `basis` binary for the round trips with the command line."""

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def basis_bin():
    """The `basis` command: $BASIS_BIN (what `cargo xtask test` passes), else the checkout's
    debug or release build, else one on PATH."""
    if os.environ.get("BASIS_BIN"):
        return os.environ["BASIS_BIN"]
    root = Path(__file__).resolve().parents[3]
    for profile in ("release", "debug"):
        p = root / "target" / profile / "basis"
        if p.exists():
            return str(p)
    found = shutil.which("basis")
    if found is None:
        pytest.fail("no `basis` binary: build it (cargo build -p basis-cli) or set BASIS_BIN")
    return found
