"""Thumb templates in the export package, and the province ingesting a real station's
package with and without them."""

from __future__ import annotations

import zipfile
from pathlib import Path

from station_helpers import enrol, finger
from test_check_export import capture

from idcapture.formats import iso19794_2
from idcapture.province import Registry, ingest_package
from idcapture.station import Store
from idcapture.station.export import export_package, verify_package


def test_templates_beside_the_thumbs_and_ingested_without_extraction(
        store: Store, students: list[dict[str, str]], tmp_path: Path) -> None:
    enrol(store, students[:3], tmp_path)
    for i in range(3):
        capture(store, students[i], finger(60 + 2 * i), finger(61 + 2 * i))
    rep = export_package(store, tmp_path / "with.zip")
    assert rep.exported == 3 and verify_package(rep.package).ok
    with zipfile.ZipFile(rep.package) as zf:
        names = set(zf.namelist())
        for i in range(3):
            reg = store.registration(students[i]["id_number"])
            for t in ("right_thumb", "left_thumb"):
                assert f"fingers/{reg}_{t}.png" in names
                rec = iso19794_2.read(zf.read(f"templates/{reg}_{t}.fmr"))
                assert len(rec.to_templates()[0].minutiae) >= 10
    bare = export_package(store, tmp_path / "without.zip", templates=False)
    with zipfile.ZipFile(bare.package) as zf:
        assert not [n for n in zf.namelist() if n.startswith("templates/")]
    with Registry(tmp_path / "reg") as reg:
        a = ingest_package(reg, rep.package, jobs=1)
        assert (a.status, a.records, a.extracted) == ("ingested", 3, 0)
        assert a.station_id == "t-1"
    with Registry(tmp_path / "reg2") as reg:
        b = ingest_package(reg, bare.package, jobs=1)
        assert (b.status, b.records, b.extracted) == ("ingested", 3, 6)
        assert {t.source for t in reg.thumbs()} == {"extracted"}
