"""Synthetic fingerprints in the SFinGe tradition, with ground-truth minutiae.

A **master** is one synthetic finger: an orientation model with cores and deltas
(zero-pole model by finger class plus a smooth perturbation), a ridge-period map and
iterative Gabor growth from random seeds give a clean ridge pattern, whose minutiae are
the ground truth. An **impression** is one touch of that finger on an optical sensor:
displacement, rotation, skin distortion, pressure (dry to wet), noise, partial contact
and smudging, with the ground truth carried through the same geometry.

    >>> from idcapture.synth.fingerprints import generate_master, make_impression
    >>> master = generate_master(7)
    >>> imp = make_impression(master, seed=1, style="dry")
    >>> imp.image.shape, len(imp.minutiae) > 0
    ((500, 400), True)

Everything is seeded: the same seeds and parameters give byte-identical images. The
simulated fingerprint sensors use these images, and the minutiae extractor is measured
against their ground truth.
"""

from __future__ import annotations

from .convert import to_template_minutiae
from .impression import Impression, ImpressionParams, ImpressionStyle, make_impression
from .master import DEFAULT_SIZE, MasterPrint, generate_master
from .minutiae import MinutiaKind, TruthMinutia, minutiae_array
from .orientation import CLASS_FREQUENCIES, FingerClass, SingularPoints
from .truthfile import read_truth, write_impression

__all__ = [
    "CLASS_FREQUENCIES",
    "DEFAULT_SIZE",
    "FingerClass",
    "Impression",
    "ImpressionParams",
    "ImpressionStyle",
    "MasterPrint",
    "MinutiaKind",
    "SingularPoints",
    "TruthMinutia",
    "generate_master",
    "make_impression",
    "minutiae_array",
    "read_truth",
    "to_template_minutiae",
    "write_impression",
]
