"""FingerTemplate / Minutia: array layout and JSON round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from idcapture.biometrics.finger.template import FingerTemplate, Minutia, MinutiaKind
from idcapture.errors import RecordError
from idcapture.record import FingerPosition


def _template() -> FingerTemplate:
    mins = (
        Minutia(10.5, 20.25, 0.25, MinutiaKind.ENDING, 80),
        Minutia(100.0, 50.0, 3.5, MinutiaKind.BIFURCATION, 40),
        Minutia(7.0, 8.0, 6.0, MinutiaKind.OTHER, 0),
    )
    return FingerTemplate(388, 374, 500, mins, quality=61, position=FingerPosition.LEFT_THUMB)


def test_as_array_layout_and_kind_codes() -> None:
    arr = _template().as_array()
    assert arr.shape == (3, 5)
    assert arr.dtype == np.float64
    assert arr[:, 3].tolist() == [1.0, 2.0, 0.0]
    assert arr[1, :3].tolist() == [100.0, 50.0, 3.5]
    assert arr[:, 4].tolist() == [80.0, 40.0, 0.0]


def test_from_array_inverts_as_array() -> None:
    t = _template()
    back = FingerTemplate.from_array(t.as_array(), t.width, t.height, 500, t.quality,
                                     t.position)
    assert back == t


def test_json_round_trip() -> None:
    t = _template()
    d = t.to_json()
    assert d["position"] == "left-thumb"
    assert FingerTemplate.from_json(d) == t


def test_json_round_trip_keeps_block_maps() -> None:
    orient = np.array([[0.1, 0.2], [0.3, math.pi - 0.1]])
    t = FingerTemplate(32, 32, 500, (), block_size=16, orientation=orient,
                       coherence=np.ones((2, 2)) * 0.5, ridge_period=np.full((2, 2), 9.0),
                       mask=np.array([[True, False], [True, True]]))
    back = FingerTemplate.from_json(t.to_json(include_maps=True))
    assert back.block_size == 16
    assert back.orientation is not None and np.allclose(back.orientation, orient, atol=1e-4)
    assert back.mask is not None and back.mask.dtype == bool
    assert back.mask.tolist() == [[True, False], [True, True]]


def test_from_json_names_the_bad_field() -> None:
    with pytest.raises(RecordError, match="minutiae"):
        FingerTemplate.from_json({"width_px": 1, "height_px": 1, "minutiae": "x"})
    with pytest.raises(RecordError):
        FingerTemplate.from_json({"height_px": 1, "minutiae": []})
    bad = _template().to_json()
    bad["minutiae"][0]["kind"] = "loop"
    with pytest.raises(RecordError, match="minutia"):
        FingerTemplate.from_json(bad)
