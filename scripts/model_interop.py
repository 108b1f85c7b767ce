#!/usr/bin/env python3
"""Recomputes a Circuits model's predictions from its safetensors file alone, with numpy or PyTorch.

    python scripts/model_interop.py MODEL.safetensors CASES.json            # numpy, float64
    python scripts/model_interop.py --torch MODEL.safetensors CASES.json    # torch.nn.Sequential, float32

MODEL is a file written by `circuits train` (or `ModelFile.write`). Its `__metadata__` holds the
architecture as JSON and, when the CLI wrote it, the preprocessing (`preprocessing`).
- Format 2 (`circuits.format` "2"): `architecture` is {"input": [shape], "layers": [{"kind": "dense",
  "config": {"outputs": 8, "bias": true}}, {"kind": "activation", "config": {"function": {"relu": {}}}},
  ...]}; tensors follow PyTorch's state_dict: "<layer>.weight" of a dense layer is [outputs, inputs], as
  torch.nn.Linear holds it.
- Format 1 (the first release): `architecture` is a list such as [{"dense": {"inputs": 2, "outputs": 8}},
  {"relu": {}}], and dense weights are [inputs, outputs].

CASES is JSON written by the Swift test: {"inputs": [[...], ...], "scores": [[...], ...]} — raw feature
rows and the scores Circuits computed for them (after its own preprocessing). The numpy mode applies the
preprocessing and the layers in float64 and checks every score to within 1e-5 (absolute, plus 1e-5
relative). The torch mode builds the equivalent `torch.nn.Sequential`, loads the file with
`load_state_dict(safetensors.torch.load_file(MODEL), strict=True)` — every tensor must have a place and
every place a tensor — and checks the scores to 1e-4 and the predicted classes exactly.

Exit status: 0 if every score matches, 1 on a mismatch (printed), 2 on usage errors or when
`safetensors`/numpy (or torch) are missing.
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


def layers_of(architecture):
    """(input shape, [(kind, config)]) of either format."""
    if isinstance(architecture, dict):
        return architecture["input"], [(l["kind"], l["config"]) for l in architecture["layers"]]
    legacy = []
    for spec in architecture:
        kind, body = next(iter(spec.items()))
        if kind == "dense":
            legacy.append(("dense-legacy", body))
        elif kind == "dropout":
            legacy.append(("dropout", body))
        else:
            legacy.append(("activation", {"function": {kind: body}}))
    return [architecture[0]["dense"]["inputs"]], legacy


def activation_numpy(x, function):
    name, body = next(iter(function.items()))
    if name == "relu":
        return np.maximum(x, 0)
    if name == "leakyRelu":
        return np.where(x > 0, x, x * body["slope"])
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "softplus":
        return np.logaddexp(0, x)
    if name == "elu":
        return np.where(x > 0, x, body["alpha"] * np.expm1(np.minimum(x, 0)))
    if name == "gelu":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    if name == "silu":
        return x / (1 + np.exp(-x))
    raise SystemExit(f"model_interop: activation {name!r} is not reproduced by this script")


def forward(x, architecture, tensors):
    _, layers = layers_of(architecture)
    for i, (kind, config) in enumerate(layers):
        if kind == "dense-legacy":
            w = tensors[f"{i}.weight"].astype(np.float64)
            assert w.shape == (config["inputs"], config["outputs"]), (w.shape, config)
            x = x @ w + tensors[f"{i}.bias"].astype(np.float64)
        elif kind == "dense":
            w = tensors[f"{i}.weight"].astype(np.float64)   # [outputs, inputs], as torch.nn.Linear
            x = x.reshape(x.shape[0], -1) @ w.T
            if config.get("bias", True):
                x = x + tensors[f"{i}.bias"].astype(np.float64)
        elif kind == "activation":
            x = activation_numpy(x, config["function"])
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)
        elif kind == "dropout":
            pass  # identity at prediction time (inverted dropout scales during training)
        else:
            raise SystemExit(f"model_interop: unknown layer {kind!r}")
    return x


def torch_model(architecture):
    """The torch.nn.Sequential with the same modules in the same order (so state_dict names match)."""
    import torch.nn as nn
    shape, layers = layers_of(architecture)
    shape = list(shape)
    modules = []
    for kind, config in layers:
        if kind == "dense":
            modules.append(nn.Linear(int(np.prod(shape)), config["outputs"], bias=config.get("bias", True)))
            shape = [config["outputs"]]
        elif kind == "activation":
            name, body = next(iter(config["function"].items()))
            modules.append({"relu": lambda: nn.ReLU(), "leakyRelu": lambda: nn.LeakyReLU(body.get("slope", 0.01)),
                            "sigmoid": lambda: nn.Sigmoid(), "tanh": lambda: nn.Tanh(), "softplus": lambda: nn.Softplus(),
                            "elu": lambda: nn.ELU(body.get("alpha", 1.0)), "gelu": lambda: nn.GELU(approximate="tanh"),
                            "silu": lambda: nn.SiLU()}[name]())
        elif kind == "flatten":
            modules.append(nn.Flatten())
            shape = [int(np.prod(shape))]
        elif kind == "dropout":
            modules.append(nn.Dropout(config["probability"]))
        else:
            raise SystemExit(f"model_interop: no torch equivalent written for layer {kind!r}")
    return nn.Sequential(*modules), layers_of(architecture)[0]


def check_torch(model_path, architecture, x, expected):
    try:
        import torch
        from safetensors.torch import load_file
    except ImportError as e:
        print(f"model_interop: {e}; the torch check needs the peers environment (make bench-peers)", file=sys.stderr)
        return 2
    model, input_shape = torch_model(architecture)
    model.load_state_dict(load_file(model_path), strict=True)
    model.eval()
    with torch.no_grad():
        got = model(torch.tensor(x, dtype=torch.float32).reshape([len(x)] + list(input_shape))).double().numpy()
    err = np.abs(got - expected)
    print(f"model_interop: torch.nn.Sequential loaded {model_path} with strict=True; {expected.size} scores, worst |difference| {err.max():.3g}")
    same_classes = (got.argmax(axis=1) == expected.argmax(axis=1)).all() if expected.shape[1] > 1 else ((got > 0) == (expected > 0)).all()
    if (err > 1e-4 + 1e-4 * np.abs(expected)).any() or not same_classes:
        print(f"  torch scores differ (classes equal: {same_classes})")
        return 1
    return 0


def main(argv):
    use_torch = "--torch" in argv
    argv = [a for a in argv if a != "--torch"]
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    model_path, cases_path = argv[1], argv[2]
    with safe_open(model_path, framework="numpy") as f:
        metadata = f.metadata() or {}
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    architecture = json.loads(metadata["architecture"])
    pre = json.loads(metadata["preprocessing"]) if "preprocessing" in metadata else None
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    x = np.array(cases["inputs"], dtype=np.float32)
    expected = np.array(cases["scores"], dtype=np.float64)
    # Preprocessing runs in float32 in Swift; round the same way before the layers.
    x = preprocess(x, pre).astype(np.float32).astype(np.float64)
    if use_torch:
        return check_torch(model_path, architecture, x, expected)
    got = forward(x, architecture, tensors)
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
