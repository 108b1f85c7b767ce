#!/usr/bin/env python3
"""Writes the seed corpus for the safetensors fuzzer: small valid files (the fuzzer mutates from there).

Run with the Python `safetensors` package available (e.g. .build/peers-venv/bin/python); the hand-made
seeds cover what that package never writes (whitespace, escapes, entries out of data order).
"""
import os
import struct

import numpy as np
from safetensors.numpy import save_file

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)

save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([0.5, -1], dtype=np.float64)},
          os.path.join(here, "mlp.safetensors"), metadata={"architecture": "3-2", "classes": "a,b"})
save_file({"s": np.array(1.5, dtype=np.float32), "e": np.zeros((0, 3), dtype=np.float64)},
          os.path.join(here, "scalar-and-empty.safetensors"))
save_file({}, os.path.join(here, "empty.safetensors"), metadata={"k": "v"})


def raw(name, header, data=b""):
    h = header.encode()
    with open(os.path.join(here, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


raw("escapes-and-spaces.safetensors",
    '{ "\\u0077\\/\\ud83e\\udde0" : { "dtype" : "F32" , "shape" : [ ] , "data_offsets" : [ 0 , 4 ] } }    ',
    struct.pack("<f", 1.0))
raw("unordered.safetensors",
    '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
    '"__metadata__":{"x":"y"}}', struct.pack("<ff", 1.0, 2.0))
