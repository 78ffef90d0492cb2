"""Synthetic data: made-up people and biometrics for the simulators, the demo, the tests
and the benchmarks; nothing here comes from a real person.

* :mod:`.fingerprints` - synthetic fingerprints with ground-truth minutiae;
* :mod:`.ridges` - a plain finger-shaped ridge pattern (the ``sim:fingerprint`` default);
* :mod:`.templates` - minutiae templates drawn from a ridge-flow field, for search tests;
* :mod:`.students` - made-up school rosters with valid ID numbers.
"""
