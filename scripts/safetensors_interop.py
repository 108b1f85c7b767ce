#!/usr/bin/env python3
"""Checks that a .safetensors file written by Circuits reads correctly with the Python ecosystem.

    python scripts/safetensors_interop.py MODEL.safetensors EXPECTED.json

Loads MODEL with the reference `safetensors` package (numpy flavour) and compares it with EXPECTED, a
JSON sidecar that the Swift side writes next to it:

    {"metadata": {"key": "value", ...},
     "tensors": {"name": {"dtype": "F32", "shape": [2, 3], "values": ["1.5", "nan", "-inf", "-0.0", ...]}}}

`values` are the scalars in row-major order, as decimal strings that Python's float() reads exactly:
JSON numbers cannot hold NaN, infinities or the sign of zero. Swift writes the shortest decimal that
round-trips a Double, so values compare exactly (an F32 value is exact in float64). Every tensor and
metadata entry must match, and the file must hold nothing else.

Exit status: 0 if everything matches, 1 on any mismatch (each one is printed), 2 on usage errors or
when `safetensors`/numpy are missing. SafeTensorsTests runs it with .build/peers-venv/bin/python.
Later this script is the place to recompute a model's predictions with numpy and compare them too.
"""
import json
import sys

try:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file
except ImportError as e:  # pragma: no cover - environment problem, not a mismatch
    print(f"safetensors_interop: {e}; install with: pip install safetensors numpy", file=sys.stderr)
    sys.exit(2)

DTYPES = {"F32": np.float32, "F64": np.float64}


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    model_path, expected_path = argv[1], argv[2]
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)

    problems = []
    tensors = load_file(model_path)
    with safe_open(model_path, framework="numpy") as f:
        metadata = f.metadata() or {}

    if metadata != expected.get("metadata", {}):
        problems.append(f"metadata {metadata!r} != expected {expected.get('metadata', {})!r}")

    want = expected["tensors"]
    for name in sorted(set(tensors) - set(want)):
        problems.append(f"{name}: in the file but not expected")
    for name in sorted(set(want) - set(tensors)):
        problems.append(f"{name}: expected but not in the file")

    for name in sorted(set(want) & set(tensors)):
        got, spec = tensors[name], want[name]
        dtype = DTYPES.get(spec["dtype"])
        if dtype is None or got.dtype != dtype:
            problems.append(f"{name}: dtype {got.dtype} != expected {spec['dtype']}")
            continue
        if list(got.shape) != spec["shape"]:
            problems.append(f"{name}: shape {list(got.shape)} != expected {spec['shape']}")
            continue
        values = np.array([float(v) for v in spec["values"]], dtype=np.float64)
        flat = got.reshape(-1).astype(np.float64)
        if flat.shape != values.shape:
            problems.append(f"{name}: {flat.size} values, expected {values.size}")
            continue
        # Exact comparison, NaN matching NaN, and -0.0 distinguished from 0.0 by its sign bit.
        same = (flat == values) | (np.isnan(flat) & np.isnan(values))
        same &= np.signbit(flat) == np.signbit(values)
        for i in np.flatnonzero(~same)[:5]:
            problems.append(f"{name}[{i}]: {flat[i]!r} != expected {values[i]!r}")

    for p in problems:
        print(f"safetensors_interop: {model_path}: {p}", file=sys.stderr)
    if not problems:
        print(f"safetensors_interop: {model_path}: {len(want)} tensors and {len(metadata)} metadata entries match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
