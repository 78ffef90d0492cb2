"""Benchmark: base-message reads (text + photo) over a real pty at 115200 baud.

The SAM simulator runs in a separate process (``idcapture sim id-reader``), paced at
the line rate; this process runs only the sam-serial driver, so its CPU time is the
host's cost per read. Prints the ratio of measured read time to the wire time of the
bytes exchanged (request + answer, 10 bits per byte; 1.00 is the physical limit,
target <= 1.10) and the host CPU per read (target <= 5 ms).

With ``--usb`` the same read goes through the sam-usb driver, pyusb and the simulator's
pyusb backend paced at USB full speed; the baseline is then the modelled bus time of
the transfers made (1 ms frames, 19 packets of 64 bytes per frame), measured in the
same run, and the ratio shows what the host stack (driver, pyusb, backend) adds.

    .venv/bin/python benchmarks/bench_sam_read.py [--reads 20] [--baud 115200] [--usb]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from idcapture.drivers.sam import protocol as p
from idcapture.drivers.sam.serial_driver import SamSerialReader


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reads", type=int, default=20)
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--usb", action="store_true", help="read over the USB simulator")
    args = ap.parse_args()
    if args.usb:
        return bench_usb(args.reads)
    sim = subprocess.Popen([sys.executable, "-m", "idcapture", "sim", "id-reader", "--sample",
                            "--baud", str(args.baud)], stdout=subprocess.PIPE, text=True)
    try:
        assert sim.stdout is not None
        info = json.loads(sim.stdout.readline())
        reader = SamSerialReader(f"sam-serial:{info['tty']}?baud={args.baud}")
        reader.open()
        session = reader.session
        walls, cpus, ratios = [], [], []
        request = p.read_base()
        for _ in range(args.reads):
            # the simulator's card stays; a repeat find needs a reset of the SAM state
            session.expect(p.reset_sam(), 0x90)
            session.expect(p.find_card(), 0x9F)
            session.expect(p.select_card(), 0x90)
            sent0, recv0 = session.bytes_sent, session.bytes_received
            c0, t0 = time.process_time(), time.perf_counter()
            r = session.expect(request, 0x90)
            msg = p.parse_base_message(r.data, with_fingerprint=False)
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0
            assert len(msg.text) == 256 and len(msg.photo) == 1024
            n = (session.bytes_sent - sent0) + (session.bytes_received - recv0)
            wire = n * 10 / args.baud
            walls.append(wall)
            cpus.append(cpu)
            ratios.append(wall / wire)
        reader.close()
    finally:
        sim.terminate()
        sim.wait(5)
    print(f"base-message read at {args.baud} baud, {args.reads} reads, {n} bytes exchanged")
    print(f"  wire time          {wire * 1000:8.1f} ms (physical limit)")
    print(f"  measured (median)  {statistics.median(walls) * 1000:8.1f} ms")
    print(f"  ratio (median)     {statistics.median(ratios):8.3f}   (target <= 1.10)")
    print(f"  ratio (worst)      {max(ratios):8.3f}")
    print(f"  host CPU per read  {statistics.median(cpus) * 1000:8.2f} ms (target <= 5 ms)")
    return 0


def bench_usb(reads: int) -> int:
    """Base-message reads over sam-usb and the paced pyusb simulator backend."""
    from idcapture.drivers.sam.usb_driver import SamUsbReader
    from idcapture.sim.sam.cards import sample_cards
    from idcapture.sim.sam.usb import SimBackend, usb_transfer_time

    sim = SimBackend().install()
    sim.sam.place_card(sample_cards()[0])
    sizes: list[int] = []
    real_write, real_read = sim.bulk_write, sim.bulk_read

    def bulk_write(h, ep, intf, data, timeout):  # type: ignore[no-untyped-def]
        n = real_write(h, ep, intf, data, timeout)
        sizes.append(n)
        return n

    def bulk_read(h, ep, intf, buff, timeout):  # type: ignore[no-untyped-def]
        n = real_read(h, ep, intf, buff, timeout)
        sizes.append(n)
        return n

    sim.bulk_write, sim.bulk_read = bulk_write, bulk_read  # type: ignore[method-assign]
    walls, cpus, ratios = [], [], []
    with SamUsbReader("sam-usb:?backend=idcapture.sim.sam.usb") as reader:
        session = reader.session
        for _ in range(reads):
            session.expect(p.reset_sam(), 0x90)
            session.expect(p.find_card(), 0x9F)
            session.expect(p.select_card(), 0x90)
            sizes.clear()
            c0, t0 = time.process_time(), time.perf_counter()
            r = session.expect(p.read_base(), 0x90)
            msg = p.parse_base_message(r.data, with_fingerprint=False)
            wall = time.perf_counter() - t0
            cpus.append(time.process_time() - c0)
            assert len(msg.text) == 256 and len(msg.photo) == 1024
            bus = sum(usb_transfer_time(n) for n in sizes)
            walls.append(wall)
            ratios.append(wall / bus)
    sim.uninstall()
    print(f"base-message read over USB (simulated full speed), {reads} reads, "
          f"{len(sizes)} transfers, {sum(sizes)} bytes")
    print(f"  modelled bus time  {bus * 1000:8.1f} ms (baseline)")
    print(f"  measured (median)  {statistics.median(walls) * 1000:8.1f} ms")
    print(f"  ratio (median)     {statistics.median(ratios):8.3f}")
    print(f"  ratio (worst)      {max(ratios):8.3f}")
    print(f"  host CPU per read  {statistics.median(cpus) * 1000:8.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
