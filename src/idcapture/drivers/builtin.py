"""The built-in plugin: registers every driver shipped with idcapture.

Drivers are registered by dotted path and imported only when used; a driver whose
module or library cannot load is listed as unavailable with its reason.
"""

from __future__ import annotations

from ..plugins import DriverRegistry, hookimpl

#: (kind, name, "module:Class", description)
BUILTIN_DRIVERS: list[tuple[str, str, str, str]] = [
    ("id_reader", "sim", "idcapture.drivers.sim.id_reader:SimIdReader",
     "in-process ID-card reader simulator"),
    ("id_reader", "sam-serial", "idcapture.drivers.sam.serial_driver:SamSerialReader",
     "SAM_V ID-card reader on a serial port"),
    ("id_reader", "sam-usb", "idcapture.drivers.sam.usb_driver:SamUsbReader",
     "SAM_V ID-card reader on native USB (pyusb)"),
    ("id_reader", "sdtapi", "idcapture.drivers.cvr.sdtapi:SdtApiReader",
     "ID-card reader through the vendor sdtapi library (cffi)"),
    ("id_reader", "termb", "idcapture.drivers.cvr.termb:TermbReader",
     "ID-card reader through the China Vision termb/CVR library (cffi)"),
    ("id_reader", "pcsc", "idcapture.drivers.emrtd.driver:PcscEmrtdReader",
     "ICAO eMRTD (passport) in a PC/SC reader, BAC + passive authentication (pyscard)"),
    ("camera", "sim", "idcapture.drivers.sim.camera:SimCamera",
     "in-process camera simulator"),
    ("camera", "opencv", "idcapture.drivers.opencv.camera:OpenCvCamera",
     "cameras, video files and streams through OpenCV VideoCapture"),
    ("fingerprint_sensor", "sim", "idcapture.drivers.sim.fingerprint:SimFingerprintSensor",
     "in-process fingerprint sensor simulator"),
    ("fingerprint_sensor", "as608", "idcapture.drivers.as608.driver:As608Sensor",
     "AS60x serial fingerprint module (AS608, ZFM-20, R30x, R503)"),
    ("fingerprint_sensor", "zkfinger", "idcapture.drivers.zkfinger.driver:ZkFingerSensor",
     "ZKTeco USB fingerprint reader through the ZKFinger SDK (libzkfp)"),
    ("fingerprint_sensor", "livescan", "idcapture.drivers.livescan.driver:LiveScanSensor",
     "ID-card fingerprint scanner through the ID_FprCap (LIVESCAN) library"),
    ("finger_algorithm", "idfpr", "idcapture.drivers.idfpr.driver:IdFprAlgorithm",
     "ID-card fingerprint algorithm through the ID_Fpr (FP_) library, GA/T 1012 templates"),
]


@hookimpl
def idcapture_register_drivers(registry: DriverRegistry) -> None:
    for kind, name, target, description in BUILTIN_DRIVERS:
        registry.add(kind, name, target, description)
