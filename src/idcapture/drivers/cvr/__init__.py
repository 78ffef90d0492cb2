"""Readers through vendor SDKs loaded with cffi: ``sdtapi`` and ``termb`` (China Vision
CVR API), and the WLT photo decoder."""
