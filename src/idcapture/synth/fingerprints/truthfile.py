"""Writing impressions to disk (PNG + ground-truth JSON) and reading the truth back.

The JSON document (one per image, same stem, ``.json``) is described in the testers'
documentation; its keys are sorted and its numbers carry explicit units.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ...errors import RecordError
from .impression import Impression
from .minutiae import TruthMinutia

__all__ = ["TRUTH_FORMAT", "TruthFile", "read_truth", "write_impression"]

TRUTH_FORMAT = "idcapture-synthetic-finger-truth"


def write_impression(impression: Impression, directory: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.png`` (with its resolution in the file) and ``<stem>.json``.

    Returns the two paths.
    """
    directory.mkdir(parents=True, exist_ok=True)
    image_path = directory / f"{stem}.png"
    truth_path = directory / f"{stem}.json"
    Image.fromarray(impression.image, mode="L").save(
        image_path, dpi=(impression.ppi, impression.ppi))
    doc = impression.truth_json()
    doc["image"] = image_path.name
    truth_path.write_text(json.dumps(doc, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return image_path, truth_path


@dataclass(frozen=True)
class TruthFile:
    """The parts of a ground-truth document a test needs."""

    width: int
    height: int
    ppi: int
    minutiae: tuple[TruthMinutia, ...]
    document: dict[str, Any]


def read_truth(path: Path) -> TruthFile:
    """Read a ground-truth JSON file.

    Raises:
        RecordError: the file is not a ground-truth document; the message names the field.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecordError(f"cannot read ground truth: {exc}", path=Path(path).name) from exc
    if not isinstance(doc, dict) or doc.get("format") != TRUTH_FORMAT:
        raise RecordError(f"not a {TRUTH_FORMAT} document", path="format")
    try:
        width, height, ppi = int(doc["width"]), int(doc["height"]), int(doc["ppi"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError("missing or bad image geometry", path=str(exc)) from None
    minutiae = []
    for i, item in enumerate(doc.get("minutiae", [])):
        try:
            minutiae.append(TruthMinutia.from_json(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"bad minutia ({exc})", path=f"minutiae[{i}]") from None
    return TruthFile(width, height, ppi, tuple(minutiae), doc)
