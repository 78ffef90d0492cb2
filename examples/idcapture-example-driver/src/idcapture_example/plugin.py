"""The plugin module named by the ``idcapture`` entry point."""

from idcapture.plugins import DriverRegistry, hookimpl


@hookimpl
def idcapture_register_drivers(registry: DriverRegistry) -> None:
    registry.add("camera", "example-pattern", "idcapture_example.camera:PatternCamera",
                 description="test-pattern camera from the example plugin")
    registry.add("id_reader", "example-reader", "idcapture_example.reader:ExampleReader",
                 description="demo card reader from the example plugin")
    registry.add("fingerprint_sensor", "example-vendor-sdk",
                 "idcapture_example.vendor_sensor:VendorSensor",
                 description="sensor needing a vendor SDK that is not installed")
