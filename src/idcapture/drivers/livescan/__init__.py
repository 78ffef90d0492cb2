"""ID-card fingerprint scanners through the ID_FprCap (``LIVESCAN_*``) capture library."""
