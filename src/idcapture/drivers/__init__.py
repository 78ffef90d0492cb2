"""Device drivers shipped with idcapture, one package per protocol family."""
