"""Push-style events over the drivers' polling: card placed / removed, finger on / off,
device removed / back; the same stream iterated with ``for`` and ``async for``."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from idcapture.devices import DeviceEvent, DeviceEventKind
from idcapture.sim.devices import open_sim_fingerprint_sensor, open_sim_id_reader, sample_document

K = DeviceEventKind
PRINT = np.tile(np.arange(0, 250, 25, dtype=np.uint8), (40, 4))


def kinds(events: list[DeviceEvent]) -> list[DeviceEventKind]:
    return [e.kind for e in events]


def test_reader_events_poll_by_poll() -> None:
    with open_sim_id_reader(card="none", poll=0.01) as reader:
        stream = reader.events()
        assert stream.poll() == []
        reader.place_card(sample_document())
        assert kinds(stream.poll()) == [K.CARD_PLACED]
        assert stream.poll() == []  # still there: one event per placement
        reader.remove_card()
        assert kinds(stream.poll()) == [K.CARD_REMOVED]
        reader.unplug()
        assert kinds(stream.poll()) == [K.DEVICE_REMOVED]
        assert stream.poll() == []  # said once
        reader.unplug(False)
        assert kinds(stream.poll()) == [K.DEVICE_BACK]
        reader.place_card(sample_document())
        events = stream.poll()
        assert kinds(events) == [K.CARD_PLACED] and events[0].device == "sim"


def test_a_card_on_the_reader_at_the_start_is_reported() -> None:
    with open_sim_id_reader(poll=0.01) as reader:
        assert kinds(reader.events().poll()) == [K.CARD_PLACED]


def test_a_read_card_on_a_sam_is_not_reported_removed() -> None:
    with open_sim_id_reader(card="none", poll=0.01) as reader:
        stream = reader.events()
        reader.place_card(sample_document())
        assert kinds(stream.poll()) == [K.CARD_PLACED]
        assert reader.read(timeout=5).id_number
        assert stream.poll() == []  # the SAM no longer finds it: unknown, not "removed"
        reader.remove_card()
        assert stream.poll() == []
        reader.place_card(sample_document())
        assert kinds(stream.poll()) == [K.CARD_PLACED]


def test_sensor_events_finger_on_and_off() -> None:
    with open_sim_fingerprint_sensor(finger="none", poll=0.01) as sensor:
        stream = sensor.events()
        assert stream.poll() == []
        sensor.present(PRINT)
        assert kinds(stream.poll()) == [K.FINGER_ON]
        assert stream.poll() == []
        sensor.lift()
        assert kinds(stream.poll()) == [K.FINGER_OFF]
        sensor.unplug()
        assert kinds(stream.poll()) == [K.DEVICE_REMOVED]
        sensor.unplug(False)
        sensor.present(PRINT)
        assert kinds(stream.poll()) == [K.DEVICE_BACK, K.FINGER_ON]


def test_sync_iteration_in_a_thread_sees_a_placement() -> None:
    with open_sim_id_reader(card="none") as reader:
        seen: list[DeviceEvent] = []

        def watch() -> None:
            for event in reader.events(interval=0.01, duration=10):
                seen.append(event)
                if event.kind is K.CARD_PLACED:
                    break

        t = threading.Thread(target=watch)
        t.start()
        reader.place_card(sample_document())
        t.join(15)
        assert not t.is_alive()
        assert kinds(seen) == [K.CARD_PLACED]


def test_async_iteration_sees_placement_and_removal() -> None:
    async def main() -> list[DeviceEventKind]:
        seen: list[DeviceEventKind] = []
        async with open_sim_id_reader(card="none") as reader:
            loop = asyncio.get_running_loop()
            loop.call_later(0.1, reader.place_card, sample_document())
            async for event in reader.events(interval=0.01, duration=10):
                seen.append(event.kind)
                if event.kind is K.CARD_PLACED:
                    loop.call_later(0.1, reader.remove_card)
                if event.kind is K.CARD_REMOVED:
                    break
        return seen

    assert asyncio.run(main()) == [K.CARD_PLACED, K.CARD_REMOVED]


def test_the_stream_ends_with_its_duration_or_the_device() -> None:
    with open_sim_id_reader(card="none") as reader:
        assert list(reader.events(interval=0.01, duration=0.2)) == []
        reader.close()
        assert list(reader.events(interval=0.01)) == []
