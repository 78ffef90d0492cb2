"""In-process simulator drivers (``sim:id-reader``, ``sim:camera``, ``sim:fingerprint``).

They need no hardware and no transport, and are controlled from Python: place and
remove cards, change the scene, present fingers. The wire-level simulators in
:mod:`idcapture.sim` speak the real protocols over real transports instead.
"""
