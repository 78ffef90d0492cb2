"""Ground truth as the extractor's minutiae (:mod:`idcapture.biometrics.finger.template`).

Both use the same pixel frame and ISO/IEC 19794-2 angle convention, so this is a change of
type only. The biometrics package is imported on use, so the generator does not need it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .minutiae import TruthMinutia

if TYPE_CHECKING:
    from ...biometrics.finger.template import Minutia

__all__ = ["to_template_minutiae"]


def to_template_minutiae(truth: Iterable[TruthMinutia]) -> list[Minutia]:
    """The ground truth as extractor minutiae (quality 100: the truth is certain)."""
    from ...biometrics.finger.template import Minutia, MinutiaKind

    return [Minutia(x=m.x, y=m.y, angle=m.angle, kind=MinutiaKind(m.kind.value), quality=100)
            for m in truth]
