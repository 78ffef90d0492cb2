"""A plugin whose hook is misspelt (``driver`` for ``drivers``): it registers nothing."""

from idcapture.plugins import DriverRegistry, hookimpl


@hookimpl
def idcapture_register_driver(registry: DriverRegistry) -> None:
    registry.add("camera", "misspelt-cam", "idcapture.sim.camera.driver:SimCamera")
