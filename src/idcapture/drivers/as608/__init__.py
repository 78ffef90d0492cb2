"""AS60x serial fingerprint modules: the sans-IO codec (:mod:`.protocol`) and the driver."""
