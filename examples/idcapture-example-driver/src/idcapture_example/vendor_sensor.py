"""A sensor driver that needs a vendor SDK binding which is not installed here.

It shows how a driver whose dependency is missing appears: ``idcapture drivers`` lists
``example-vendor-sdk`` as unavailable with the missing module named, and opening it
raises ``DriverUnavailable``; the other drivers keep working.
"""

from __future__ import annotations

import acme_fingerprint_sdk  # type: ignore[import-not-found]  # noqa: F401

from idcapture.devices import FingerprintSensor


class VendorSensor(FingerprintSensor):
    pass
