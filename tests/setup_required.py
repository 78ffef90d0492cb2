"""What ``./run.sh setup`` provides, and what a test does when it is missing.

Outside CI a missing optional piece (an extra, a system package, the compiled C
simulators, the licensed images in ``../shared/data``) skips the test with the reason.
Under ``CI=true`` the set-up has installed all of them, so a missing one is a failure:
a skip there would hide a broken install or a broken import.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> NoReturn:
    """Skip with ``reason``; under CI=true fail with it instead."""
    if CI:
        pytest.fail(f"{reason} (CI=true: ./run.sh setup provides it, so this is a failure)",
                    pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def need_module(name: str, reason: str) -> ModuleType:
    """Import an optional third-party module, or :func:`missing`.

    Only for modules of extras; the project's own modules are imported plainly, so a
    broken import is an error and never a skip.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(reason)


def need_file(path: Path, reason: str) -> Path:
    """``path`` when it exists, else :func:`missing`."""
    if not path.exists():
        missing(reason)
    return path
