"""ZKTeco USB fingerprint readers through the ZKFinger SDK (libzkfp), with cffi."""
