#!/usr/bin/env python3
"""Recomputes a Circuits model's predictions with numpy from its safetensors file alone.

    python scripts/model_interop.py MODEL.safetensors CASES.json

MODEL is a file written by `circuits train` (or `ModelFile.write`). Its `__metadata__` holds the
architecture as JSON (`architecture`: a list of layer specs such as {"dense": {"inputs": 2, "outputs": 8}},
{"relu": {}}), and, when the CLI wrote it, the preprocessing (`preprocessing`); its tensors are named
"<layer>.weight" ([inputs, outputs]) and "<layer>.bias" ([outputs]).

CASES is JSON written by the Swift test: {"inputs": [[...], ...], "scores": [[...], ...]} — raw feature
rows and the scores Circuits computed for them (after its own preprocessing). This script loads the
weights with the reference `safetensors` package, applies the preprocessing and the layers with numpy in
float64, and checks every score to within 1e-5 (absolute, plus 1e-5 relative).

Exit status: 0 if every score matches, 1 on a mismatch (printed), 2 on usage errors or when
`safetensors`/numpy are missing.
"""
import json
import sys

try:
    import numpy as np
    from safetensors import safe_open
except ImportError as e:  # environment problem, not a mismatch
    print(f"model_interop: {e}; install with: pip install safetensors numpy", file=sys.stderr)
    sys.exit(2)


def preprocess(x, spec):
    """Applies the CLI's stored preprocessing (Datasets.Preprocessor as JSON)."""
    if spec is None:
        return x
    if "kind" in spec:  # {"kind": "standardize", "parameters": {...}}
        kind, inner = spec["kind"], spec.get("parameters", {})
    else:  # {"standardize": {"_0": {...}}} (synthesized enum coding)
        kind, body = next(iter(spec.items()))
        inner = body.get("_0", body)
    if kind == "none":
        return x
    if kind == "standardize":
        # Same float32 arithmetic as Swift: (x − mean) · (1/scale).
        x32 = x.astype(np.float32)
        mean = np.array(inner["mean"], dtype=np.float32)
        factor = np.float32(1) / np.array(inner["scale"], dtype=np.float32)
        return ((x32 - mean) * factor).astype(np.float64)
    if kind in ("minMax", "minmax"):
        lo = np.array(inner["minimum"], dtype=np.float64)
        rng = np.array(inner["range"], dtype=np.float64)
        return (x - lo) / np.where(rng == 0, 1, rng)
    raise SystemExit(f"model_interop: preprocessing {kind!r} is not reproduced by this script")


def forward(x, specs, tensors):
    for i, spec in enumerate(specs):
        kind, body = next(iter(spec.items()))
        if kind == "dense":
            w = tensors[f"{i}.weight"].astype(np.float64)
            b = tensors[f"{i}.bias"].astype(np.float64)
            assert w.shape == (body["inputs"], body["outputs"]), (w.shape, body)
            x = x @ w + b
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "leakyRelu":
            x = np.where(x > 0, x, x * body["slope"])
        elif kind == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif kind == "tanh":
            x = np.tanh(x)
        elif kind == "dropout":
            pass  # identity at prediction time (inverted dropout scales during training)
        else:
            raise SystemExit(f"model_interop: unknown layer {kind!r}")
    return x


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    model_path, cases_path = argv[1], argv[2]
    with safe_open(model_path, framework="numpy") as f:
        metadata = f.metadata() or {}
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    specs = json.loads(metadata["architecture"])
    pre = json.loads(metadata["preprocessing"]) if "preprocessing" in metadata else None
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    x = np.array(cases["inputs"], dtype=np.float32)
    expected = np.array(cases["scores"], dtype=np.float64)
    # Preprocessing runs in float32 in Swift; round the same way before the layers.
    x = preprocess(x, pre).astype(np.float32).astype(np.float64)
    got = forward(x, specs, tensors)
    if got.shape != expected.shape:
        print(f"model_interop: shape {got.shape} != expected {expected.shape}")
        return 1
    err = np.abs(got - expected)
    bad = err > 1e-5 + 1e-5 * np.abs(expected)
    print(f"model_interop: {expected.size} scores from {len(tensors)} tensors, worst |difference| {err.max():.3g}")
    if bad.any():
        for r, c in zip(*np.nonzero(bad)):
            print(f"  row {r} column {c}: numpy {got[r, c]!r}, circuits {expected[r, c]!r}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
