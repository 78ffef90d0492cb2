"""``python -m idcapture.i18n``: compile the ``.po`` catalogues to ``.mo`` files."""

from __future__ import annotations

from . import compile_catalogues

if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"wrote {path.name} for {path.parent.parent.name}")
