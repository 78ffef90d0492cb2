"""The device-to-event pump over the simulators, and the session's explicit dispatch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from station_helpers import card_for

import idcapture
from idcapture.devices import FingerprintSensor, IdReader
from idcapture.errors import DeviceTimeout, RetryOutcome, RetryReason
from idcapture.record import FingerPosition
from idcapture.station.events import (
    FINGER_STEPS,
    CardPresented,
    FingerPresented,
    FingerRetry,
    OperatorDecision,
    Prompt,
    Save,
    SessionState,
)
from idcapture.station.pump import (
    Devices,
    FingerWatch,
    Policy,
    card_event,
    finger_event,
    next_event,
)

PRINT = np.tile(np.arange(0, 250, 25, dtype=np.uint8), (40, 4))


@pytest.fixture
def sensor() -> Iterator[FingerprintSensor]:
    with idcapture.open_fingerprint_sensor("sim:fingerprint?finger=none&poll=0.001") as dev:
        yield dev


@pytest.fixture
def reader() -> Iterator[IdReader]:
    with idcapture.open_id_reader("sim:id-reader?card=none&poll=0.001") as dev:
        yield dev


def test_each_step_names_the_finger_it_captures() -> None:
    assert SessionState.RIGHT_THUMB.finger_position is FingerPosition.RIGHT_THUMB
    assert SessionState.LEFT_THUMB.finger_position is FingerPosition.LEFT_THUMB
    assert [s for s in SessionState if s.finger_position is not None] == list(FINGER_STEPS)
    # the step and the finger share their name, which the records and the pages use
    assert all(s.finger_position is not None and s.finger_position.slug == s.value
               for s in FINGER_STEPS)


def test_finger_watch_sends_one_event_per_placement(sensor: FingerprintSensor) -> None:
    watch = FingerWatch()
    watch.new_session()
    pos = FingerPosition.RIGHT_THUMB
    sensor.present(PRINT)  # type: ignore[attr-defined]
    assert watch.poll(sensor, pos, "label") is None  # left on from before the session
    sensor.lift()  # type: ignore[attr-defined]
    assert watch.poll(sensor, pos, "label") is None
    sensor.present(PRINT)  # type: ignore[attr-defined]
    event = watch.poll(sensor, pos, "label")
    assert isinstance(event, FingerPresented)
    assert np.array_equal(event.image, PRINT) and event.device == "label"
    assert event.resolution_ppi == 500 and not event.keep_below_quality
    assert watch.poll(sensor, pos, "label") is None  # the same placement
    assert watch.idle_s > 0
    sensor.lift()  # type: ignore[attr-defined]
    assert watch.poll(sensor, pos, "label") is None
    light = RetryOutcome(RetryReason.TOO_LIGHT, "press harder")
    sensor.queue_outcome(light)  # type: ignore[attr-defined]
    sensor.queue_outcome(light)  # type: ignore[attr-defined]
    retry = watch.poll(sensor, pos, "label")
    assert isinstance(retry, FingerRetry) and retry.outcome.reason is RetryReason.TOO_LIGHT
    assert watch.poll(sensor, pos, "label") is None  # once per placement


def test_finger_event_waits_for_a_finger_or_says_why_not(sensor: FingerprintSensor) -> None:
    pos = FingerPosition.LEFT_THUMB
    with pytest.raises(DeviceTimeout):
        finger_event(sensor, pos, timeout=0.05)
    sensor.queue_outcome(RetryOutcome(RetryReason.FINGER_LIFTED, "lifted"))  # type: ignore[attr-defined]
    retry = finger_event(sensor, pos, timeout=1.0)
    assert isinstance(retry, FingerRetry) and retry.outcome.reason is RetryReason.FINGER_LIFTED
    sensor.present(PRINT)  # type: ignore[attr-defined]
    event = finger_event(sensor, pos, timeout=1.0, keep_below_quality=True)
    assert isinstance(event, FingerPresented) and event.keep_below_quality
    assert event.device == str(sensor.address)


def test_card_event_carries_the_card_bytes_once_per_placement(
        reader: IdReader, students: list[dict[str, str]]) -> None:
    reader.place_card(card_for(students[0]))  # type: ignore[attr-defined]
    event = card_event(reader, timeout=2.0)
    assert isinstance(event, CardPresented)
    assert event.document.id_number == students[0]["id_number"]
    assert event.blobs == event.document.blobs and event.blobs is not event.document.blobs
    with pytest.raises(DeviceTimeout):
        card_event(reader, timeout=0.05)  # the card read already stays on the reader


def test_next_event_asks_the_step_s_device_or_the_policy(
        reader: IdReader, sensor: FingerprintSensor) -> None:
    with idcapture.open_camera("sim:camera") as camera:
        devs = Devices(reader, camera, sensor)
        pol = Policy(accept_mismatch=True, note="seen")
        decision = next_event(SessionState.DECISION, Prompt.at(SessionState.DECISION), devs,
                              pol, 0.1)
        assert decision == OperatorDecision(True, "seen")
        asked = next_event(SessionState.DECISION, Prompt.at(SessionState.DECISION), devs,
                           pol, 0.1, decide=lambda p: OperatorDecision(False, p.state.value))
        assert asked == OperatorDecision(False, "decision")
        frame = next_event(SessionState.PORTRAIT, Prompt.at(SessionState.PORTRAIT), devs,
                           pol, 2.0)
        assert frame.manual is False and frame.device == str(camera.address)  # type: ignore[union-attr]
        offered = Prompt(SessionState.PORTRAIT, "", ("frame", "manual"))
        assert not next_event(SessionState.PORTRAIT, offered, devs, pol, 2.0).manual  # type: ignore[union-attr]
        by_hand = Policy(manual_portrait=True)
        assert next_event(SessionState.PORTRAIT, offered, devs, by_hand, 2.0).manual  # type: ignore[union-attr]
        sensor.present(PRINT)  # type: ignore[attr-defined]
        thumb = next_event(SessionState.LEFT_THUMB, Prompt.at(SessionState.LEFT_THUMB), devs,
                           pol, 1.0)
        assert isinstance(thumb, FingerPresented) and not thumb.keep_below_quality
        assert next_event(SessionState.REVIEW, Prompt.at(SessionState.REVIEW), devs, pol,
                          0.1) == Save()
