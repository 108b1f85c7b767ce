#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures of the recurrent ops: Tests/LayersTests/Fixtures/{rnn,lstm,gru}.safetensors.

For each cell (torch.nn.RNN, LSTM, GRU) and each case below, the file holds the inputs (x, h0, c0),
every parameter under PyTorch's own name (weight_ih_l0, weight_hh_l1, bias_ih_l0_reverse, ...), the
outputs (out, h_n, c_n), fixed random weights (w_out, w_h, w_c) of the scalar

    loss = sum(out * w_out) + sum(h_n * w_h) + sum(c_n * w_c)

and torch's gradients of that loss with respect to x, h0, c0 and every parameter. Names are
"<case>.<tensor>" and "<case>.grad.<tensor>".

Cases (N = 3 sequences, T = 6 steps, I = 5 inputs, H = 4 hidden):
  stack2         two layers, one direction: layer 1 reads layer 0's outputs
  bidirectional  one layer, both directions: out is [N, T, 2H], h_n [2, N, H]
  packed         one layer, both directions, sequences of lengths 6, 3, 1 through
                 pack_padded_sequence / pad_packed_sequence (outputs zero past each length)
  relu           (RNN only) one layer, nonlinearity='relu'

Inputs and parameters are drawn in float32 and stored as F32 (their values are exact in float32);
outputs, loss weights and gradients are computed in float64 from those values and stored as F64.
RecurrentFixtureTests (Tests/LayersTests) runs our ops in Float (to 1e-5) and in Double (to 1e-12).

Rerun to regenerate (the output is deterministic):

    .build/peers-venv/bin/python scripts/make_rnn_fixtures.py
"""
import os
import sys

import torch
from safetensors.torch import save_file

N, T, I, H = 3, 6, 5, 4
LENGTHS = [6, 3, 1]
here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "Tests", "LayersTests", "Fixtures")


def case(cell, name, generator, num_layers=1, bidirectional=False, lengths=None, **options):
    """Runs one configuration; returns {name.tensor: tensor}."""
    module_type = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = module_type(I, H, num_layers=num_layers, batch_first=True, bidirectional=bidirectional, **options)
    directions = 2 if bidirectional else 1
    # Parameters uniform in [-0.5, 0.5] (wider than torch's ±1/√H default, so gates leave their linear
    # range), rounded to float32 and then computed in float64.
    with torch.no_grad():
        for p in module.parameters():
            p.copy_((torch.rand(p.shape, generator=generator) - 0.5).float())
    module = module.double()
    x = (torch.rand(N, T, I, generator=generator) * 2 - 1).float().double().requires_grad_()
    h0 = (torch.rand(num_layers * directions, N, H, generator=generator) - 0.5).float().double().requires_grad_()
    c0 = (torch.rand(num_layers * directions, N, H, generator=generator) - 0.5).float().double().requires_grad_()
    state = (h0, c0) if cell == "lstm" else h0
    if lengths is None:
        out, final = module(x, state)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, final = module(packed, state)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
    h_n, c_n = final if cell == "lstm" else (final, None)
    w_out = torch.rand(out.shape, generator=generator, dtype=torch.float64) + 0.5
    w_h = torch.rand(h_n.shape, generator=generator, dtype=torch.float64) + 0.5
    loss = (out * w_out).sum() + (h_n * w_h).sum()
    tensors = {"x": x, "h0": h0, "out": out, "h_n": h_n, "w_out": w_out, "w_h": w_h}
    if cell == "lstm":
        w_c = torch.rand(c_n.shape, generator=generator, dtype=torch.float64) + 0.5
        loss = loss + (c_n * w_c).sum()
        tensors.update({"c0": c0, "c_n": c_n, "w_c": w_c})
    loss.backward()
    result = {}
    for key, value in tensors.items():
        stored = value.detach()
        result[f"{name}.{key}"] = stored.float() if key in ("x", "h0", "c0") else stored
    result[f"{name}.grad.x"] = x.grad
    result[f"{name}.grad.h0"] = h0.grad
    if cell == "lstm":
        result[f"{name}.grad.c0"] = c0.grad
    for pname, p in module.named_parameters():
        result[f"{name}.{pname}"] = p.detach().float()
        result[f"{name}.grad.{pname}"] = p.grad
    if lengths is not None:
        result[f"{name}.lengths"] = torch.tensor(lengths, dtype=torch.float64)
    result[f"{name}.loss"] = loss.detach().reshape(1)
    return {k: v.contiguous() for k, v in result.items()}


def main():
    torch.use_deterministic_algorithms(True)
    for cell in ("rnn", "lstm", "gru"):
        generator = torch.Generator().manual_seed({"rnn": 1, "lstm": 2, "gru": 3}[cell])
        tensors = {}
        tensors.update(case(cell, "stack2", generator, num_layers=2))
        tensors.update(case(cell, "bidirectional", generator, bidirectional=True))
        tensors.update(case(cell, "packed", generator, bidirectional=True, lengths=LENGTHS))
        if cell == "rnn":
            tensors.update(case(cell, "relu", generator, nonlinearity="relu"))
        path = os.path.normpath(os.path.join(out_dir, f"{cell}.safetensors"))
        # One metadata entry: safetensors writes a map's keys in hash order, which varies run to run.
        save_file(tensors, path, metadata={"source": f"scripts/make_rnn_fixtures.py, torch {torch.__version__}, "
                                                     f"N={N} T={T} I={I} H={H}"})
        os.chmod(path, 0o644)
        print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)", file=sys.stderr)


if __name__ == "__main__":
    main()
