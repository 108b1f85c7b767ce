#!/usr/bin/env python3
"""Writes python-written.safetensors: a tiny file produced by the reference `safetensors` package.

SafeTensorsTests reads it and checks every value below, so our reader is tested against the Python
writer, not only against our own writer. Rerun to regenerate (the output is deterministic):

    .build/peers-venv/bin/python Tests/LayersTests/Fixtures/make_safetensors_fixture.py

If you change a value here, change SafeTensorsTests.pythonWrittenFixture to match.
"""
import os
import sys

import numpy as np
from safetensors.numpy import save_file

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "python-written.safetensors")

tensors = {
    # Values exact in binary, so the Swift test can compare with ==.
    "dense.weight": np.array([[0.5, -1.25, 2.0], [3.0, -0.0, 1e-3]], dtype=np.float32),
    "dense.bias": np.array([0.25, -0.5, 0.125], dtype=np.float64),
    "scale": np.array(1.5, dtype=np.float32),           # rank 0
    "empty": np.zeros((0, 3), dtype=np.float32),        # no bytes in the data section
}
metadata = {"architecture": "3-3", "note": "written by safetensors-python"}

save_file(tensors, out, metadata=metadata)
import safetensors
print(f"wrote {out} ({os.path.getsize(out)} bytes) with safetensors {safetensors.__version__}, numpy {np.__version__}",
      file=sys.stderr)
