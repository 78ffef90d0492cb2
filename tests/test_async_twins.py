"""An asyncio application never needs ``to_thread`` by hand: async open helpers,
``async with``, the coroutine twins of every blocking call and an async frame iterator,
all leaving the loop free while a device waits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

import idcapture
from idcapture.errors import DeviceTimeout, RetryOutcome, RetryReason
from idcapture.record import FingerPosition
from idcapture.sim.finger.driver import SimFingerprintSensor
from idcapture.sim.sam.driver import SimIdReader


async def _ticking(work: Awaitable[object]) -> tuple[object, int]:
    """Run ``work`` while counting the loop's turns (how free the loop stayed)."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    try:
        result: object = await work
    except BaseException as exc:
        result = exc
    stop.set()
    await task
    return result, ticks


def test_async_open_and_async_with_on_the_three_families() -> None:
    async def main() -> None:
        async with await idcapture.aopen_id_reader("sim:id-reader") as reader:
            assert await reader.acard_present()
            doc = await reader.await_for_card(timeout=5)
            assert doc.id_number
        assert reader.closed
        async with await idcapture.aopen_camera("sim:camera?photo=none&fps=0") as camera:
            frames = [f async for f in camera.aframes(count=3, timeout=5)]
            assert [f.index for f in frames] == [0, 1, 2]
        assert camera.closed
        async with await idcapture.aopen_fingerprint_sensor("sim:fingerprint") as sensor:
            assert isinstance(sensor, SimFingerprintSensor)
            sensor.queue_outcome(RetryOutcome(RetryReason.TOO_LIGHT, "press harder"))
            first = await sensor.atry_capture(FingerPosition.RIGHT_THUMB)
            assert isinstance(first, RetryOutcome) and first.reason is RetryReason.TOO_LIGHT
            image = await sensor.atry_capture(FingerPosition.RIGHT_THUMB)
            assert not isinstance(image, RetryOutcome)
            assert image.position is FingerPosition.RIGHT_THUMB
        assert sensor.closed
        device = await idcapture.aopen("sim:id-reader?card=none")
        await device.areconnect()
        await device.aclose()
        assert device.closed

    asyncio.run(main())


def test_async_with_opens_an_unopened_device() -> None:
    async def main() -> None:
        reader = SimIdReader("sim:id-reader")
        assert reader.state.value == "closed"
        async with reader:
            assert reader.state.value == "open"
        assert reader.closed

    asyncio.run(main())


def test_waiting_for_a_card_leaves_the_loop_free() -> None:
    async def main() -> tuple[object, int]:
        async with await idcapture.aopen_id_reader("sim:id-reader?card=none") as reader:
            return await _ticking(reader.await_for_card(timeout=0.5))

    result, ticks = asyncio.run(main())
    assert isinstance(result, DeviceTimeout)
    assert ticks >= 20  # 0.5 s of waiting, the loop turning every 5 ms


def test_async_open_refuses_a_bad_address() -> None:
    with pytest.raises(idcapture.AddressError, match="widht"):
        asyncio.run(idcapture.aopen_camera("sim:camera?widht=320"))
