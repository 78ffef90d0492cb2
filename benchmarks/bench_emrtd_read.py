"""Time a full eMRTD read through the real PC/SC stack (pcscd + vpcd + pyscard).

BAC + EF.COM + EF.SOD + DG1 + a ~20 KB DG2, with passive authentication, read by the
``pcsc:0`` driver from the simulator served into vpcd by a separate process
(``idcapture sim emrtd``). The baseline measured in the same run is the same read
against the in-process simulator (no PC/SC, no sockets), so the ratio is the cost of
the stack. Target: a full read under 1 s.

Needs root, pcscd and vsmartcard-vpcd; starts its own pcscd on ports 40000/40001 and
stops it by pid at the end. Run: ``.venv/bin/python benchmarks/bench_emrtd_read.py``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pcsc"))

from pcsc_stack import PORT, READER0, Pcscd, wait_until  # noqa: E402

import idcapture  # noqa: E402
from idcapture.drivers.emrtd.passive_auth import TrustStore  # noqa: E402
from idcapture.drivers.emrtd.session import AccessKey, EmrtdSession  # noqa: E402
from idcapture.sim.emrtd.config import card_from_config  # noqa: E402
from idcapture.sim.emrtd.pki import SimPki  # noqa: E402
from idcapture.transports.pcsc import card_present  # noqa: E402

MRZ = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
RUNS = 10


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="idcapture-bench-emrtd-"))
    SimPki.generate().save(work / "pki")
    config = {"version": 1, "mrz": MRZ, "pki": "pki",
              "face": {"width": 480, "height": 640, "target_bytes": 20000}}
    (work / "card.json").write_text(json.dumps(config))
    card = card_from_config(work / "card.json")
    trust = TrustStore.load(work / "pki" / "csca.pem")
    key = AccessKey.from_mrz(MRZ)
    base = []
    for _ in range(RUNS):
        t = time.perf_counter()
        EmrtdSession(card.apdu, key, trust).read()
        base.append(time.perf_counter() - t)
    daemon = Pcscd(work)
    daemon.start()
    sim = subprocess.Popen([sys.executable, "-m", "idcapture", "sim", "emrtd", "--config",
                            str(work / "card.json"), "--port", str(PORT)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: card_present(READER0), 10, "the simulated passport")
        times = []
        with idcapture.open_id_reader("pcsc:0", timeout=10, mrz=MRZ,
                                      trust=str(work / "pki" / "csca.pem")) as reader:
            for _ in range(RUNS):
                t = time.perf_counter()
                reader.read(10)
                times.append(time.perf_counter() - t)
            reading = reader.last_reading
            apdus = reader.last_apdu_count
    finally:
        sim.terminate()
        sim.wait(5)
        daemon.stop()
    assert reading is not None
    dg2 = len(reading.groups[2])
    med, bmed = statistics.median(times), statistics.median(base)
    print(f"full read (BAC + EF.COM + SOD + DG1 + DG2 {dg2} B, {apdus} APDUs) "
          f"through pcscd/vpcd/pyscard: median {med * 1000:.1f} ms, "
          f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {RUNS}")
    print(f"baseline, same read against the in-process simulator: median "
          f"{bmed * 1000:.1f} ms; PC/SC stack costs x{med / bmed:.1f} "
          f"({(med - bmed) / apdus * 1000:.2f} ms per APDU)")
    print(f"passive authentication: {reading.passive_auth.outcome.value}; "
          f"target < 1000 ms: {'met' if med < 1.0 else 'MISSED'}")
    return 0 if med < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
