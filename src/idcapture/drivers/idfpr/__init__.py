"""The ID_Fpr (``FP_*``) fingerprint algorithm of ID-card scanners, and the card's records."""
