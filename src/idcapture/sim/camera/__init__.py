"""The camera simulators: scripted face scenes (:mod:`.scene`), served as an MJPEG stream
over HTTP (:mod:`.mjpeg`) or played by the in-process ``sim:camera`` driver
(:mod:`.driver`)."""
