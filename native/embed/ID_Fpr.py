"""Writes the C source of the ID_Fpr (FP_*) simulator: make -C native runs it.

    python native/embed/ID_Fpr.py OUT.c

The library is made with the cffi embedding API: its exports are the declarations of
include/id_fpr.h plus the simulator's control function, implemented in Python by
idcapture.sim.idfpr (bound on the first call). It is compiled without libpython, to be
loaded into a Python process (as a vendor's library is, through cffi).
"""

import sys
from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent
header = (HERE.parent / "include" / "id_fpr.h").read_text(encoding="utf-8")
ffi = cffi.FFI()
ffi.embedding_api(header.replace("WINAPI", "")
                  + "int FPSim_InjectNext(const char *name, int rc);\n")
ffi.set_source("_idcapture_id_fpr_sim", "")
ffi.embedding_init_code("""
from _idcapture_id_fpr_sim import ffi
from idcapture.sim.idfpr import install
install(ffi)
""")
ffi.emit_c_code(sys.argv[1])
