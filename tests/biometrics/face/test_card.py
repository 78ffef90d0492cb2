"""The card photo's geometry: card-like photos, and the GA 461 prior when detection fails."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from idcapture.biometrics.face import analyze_face, compare_faces, face_vs_card_check
from idcapture.biometrics.face.card import (
    CARD_SIZE,
    card_eyes,
    card_photo_like,
    card_prior_landmarks,
)
from idcapture.biometrics.face.compare import RETRY_OR_OVERRIDE, NoFaceFound, describe_face
from idcapture.record import CheckOutcome


def _card(photo: Any, quality: int = 40) -> np.ndarray:
    lm = analyze_face(photo.image, min_face_px=150).landmarks
    assert lm is not None
    return card_photo_like(photo.image, lm, quality)


def test_card_photo_like_puts_the_eyes_where_ga461_does(neutral: Any) -> None:
    card = _card(neutral)
    assert card.shape == (CARD_SIZE[1], CARD_SIZE[0], 3)
    vec, how = describe_face(card, which="card photo")
    assert how == "detected" and vec.shape == (128,)
    (mx, my), ied = card_eyes()
    lm = card_prior_landmarks(card)
    assert lm is not None
    fx, fy = lm.eye_midpoint
    assert abs(fx - mx) < 0.2 * ied and abs(fy - my) < 0.2 * ied
    assert abs(lm.inter_eye_distance / ied - 1.0) < 0.2


def test_prior_rejects_a_blank_or_flat_card() -> None:
    grey = np.full((CARD_SIZE[1], CARD_SIZE[0], 3), 200, np.uint8)
    assert card_prior_landmarks(grey) is None
    noise = np.random.default_rng(3).integers(0, 255, grey.shape, dtype=np.uint8)
    assert card_prior_landmarks(cv2.GaussianBlur(noise, (0, 0), 3)) is None
    assert card_prior_landmarks(np.zeros((300, 300, 3), np.uint8)) is None   # not card-shaped


def test_blank_card_gives_a_not_checked_result_with_retry_or_override(neutral: Any) -> None:
    blank = np.full((CARD_SIZE[1], CARD_SIZE[0], 3), 235, np.uint8)
    try:
        compare_faces(neutral.frame(), blank)
    except NoFaceFound as exc:
        check = face_vs_card_check(None, error=str(exc))
    else:
        raise AssertionError("a blank card photo must not be compared")
    assert check.outcome is CheckOutcome.NOT_CHECKED
    assert check.details["next_step"] == RETRY_OR_OVERRIDE
    assert "card photo" in check.message


def test_genuine_card_matches_and_impostor_card_does_not(photo_loader: Any) -> None:
    a_live = photo_loader("smiling_front/005_08.jpg")
    a_card = _card(photo_loader("neutral_front/005_03.jpg"))
    b_card = _card(photo_loader("neutral_front/013_03.jpg"))
    assert compare_faces(a_live.frame(), a_card).same_person
    assert not compare_faces(a_live.frame(), b_card).same_person


def test_descriptor_padding_is_the_shipped_one_and_checked(photo_loader: Any) -> None:
    from idcapture.biometrics.face.compare import DESCRIPTOR_PADDING, face_descriptor
    from idcapture.biometrics.face.frames import FaceInputError

    live = photo_loader("smiling_front/005_08.jpg").frame()
    card = _card(photo_loader("neutral_front/005_03.jpg"))
    shipped = face_descriptor(card, which="card photo")
    assert np.array_equal(shipped, face_descriptor(card, padding=DESCRIPTOR_PADDING))
    # another chip geometry gives another descriptor: the threshold belongs to one
    assert float(np.linalg.norm(shipped - face_descriptor(card, padding=0.25))) > 0.01
    for bad in (-0.1, 1.5):
        try:
            face_descriptor(card, padding=bad)
        except FaceInputError as exc:
            assert "padding" in str(exc)
        else:
            raise AssertionError(f"padding {bad} accepted")
    check = face_vs_card_check(compare_faces(live, card))
    assert check.details["padding"] == DESCRIPTOR_PADDING
