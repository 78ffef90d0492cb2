"""The SAM_V simulator: the device side of the SAM frame protocol.

* :mod:`.cards` - card data files (JSON) and the blocks a card holds;
* :mod:`.device` - the SAM state machine and its scriptable faults (sans-IO);
* :mod:`.server` - serving the device on a pseudo-terminal, paced at the line rate;
* :mod:`.usb` - a pyusb backend presenting the device with the split endpoints;
* :mod:`.driver` - the in-process ``sim:id-reader`` driver over the same device.
"""
