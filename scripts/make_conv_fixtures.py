#!/usr/bin/env python3
"""Writes the PyTorch reference values of the convolutional ops for ConvolutionReferenceTests.

    .build/peers-venv/bin/python scripts/make_conv_fixtures.py

Three files under Tests/LayersTests/Fixtures/ (rerunning gives the same values; the order of the
metadata keys in the header may change):

  conv2d.safetensors     torch.nn.functional.conv2d on odd geometries
  pooling.safetensors    max_pool2d, avg_pool2d (count_include_pad=True), adaptive_avg_pool2d(1)
  batchnorm.safetensors  batch_norm in training mode (with the running-statistics update) and eval mode

Every case stores its float32 inputs (x, weight, bias, γ, β, running statistics), an upstream gradient
dy, and PyTorch's forward and gradients (y, dx, dw, db, dgamma, dbeta, running statistics after the
call). The references are computed in float64 from the float32 inputs and stored as float32, so they
carry no float32 rounding of PyTorch's own. Each case's geometry is a JSON object in the file's
metadata, under the case's name. The Swift test compares in Float at 1e-5 relative.
"""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "LayersTests", "Fixtures")
rng = np.random.default_rng(14)


def f32(shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def leaf(a):
    return torch.from_numpy(a.astype(np.float64)).requires_grad_()


def grad(t):
    return t.grad.numpy().astype(np.float32)


def conv_case(tensors, meta, name, x_shape, w_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), bias=True):
    x, w = f32(x_shape), f32(w_shape, 0.3)
    b = f32([w_shape[0]]) if bias else None
    tx, tw = leaf(x), leaf(w)
    tb = leaf(b) if bias else None
    top, bottom, left, right = padding
    # conv2d pads symmetrically only; explicit per-side padding is F.pad with zeros, then no padding.
    y = F.conv2d(F.pad(tx, (left, right, top, bottom)), tw, tb, stride=stride, dilation=dilation)
    dy = f32(list(y.shape))
    y.backward(torch.from_numpy(dy.astype(np.float64)))
    tensors.update({f"{name}.x": x, f"{name}.weight": w, f"{name}.dy": dy,
                    f"{name}.y": y.detach().numpy().astype(np.float32), f"{name}.dx": grad(tx), f"{name}.dweight": grad(tw)})
    if bias:
        tensors.update({f"{name}.bias": b, f"{name}.dbias": grad(tb)})
    meta[name] = json.dumps({"stride": list(stride), "padding": list(padding), "dilation": list(dilation), "bias": bias})


def pool_case(tensors, meta, name, kind, x_shape, kernel=(2, 2), stride=None, padding=(0, 0), dilation=(1, 1)):
    x = f32(x_shape)
    tx = leaf(x)
    stride = stride or kernel
    if kind == "max":
        y = F.max_pool2d(tx, kernel, stride=stride, padding=padding, dilation=dilation)
    elif kind == "avg":
        y = F.avg_pool2d(tx, kernel, stride=stride, padding=padding, count_include_pad=True)
    else:
        y = F.adaptive_avg_pool2d(tx, 1).flatten(1)
    dy = f32(list(y.shape))
    y.backward(torch.from_numpy(dy.astype(np.float64)))
    tensors.update({f"{name}.x": x, f"{name}.dy": dy, f"{name}.y": y.detach().numpy().astype(np.float32), f"{name}.dx": grad(tx)})
    meta[name] = json.dumps({"kind": kind, "kernel": list(kernel), "stride": list(stride), "padding": list(padding),
                             "dilation": list(dilation)})


def batchnorm_case(tensors, meta, name, x_shape, training):
    c = x_shape[1]
    x = f32(x_shape, 2.0) + np.float32(0.5)
    gamma, beta = f32([c]), f32([c])
    running_mean = f32([c], 0.2)
    running_var = (rng.uniform(0.5, 1.5, c)).astype(np.float32)
    tx, tg, tb = leaf(x), leaf(gamma), leaf(beta)
    rm = torch.from_numpy(running_mean.astype(np.float64))
    rv = torch.from_numpy(running_var.astype(np.float64))
    y = F.batch_norm(tx, rm, rv, tg, tb, training=training, momentum=0.1, eps=1e-5)
    dy = f32(list(y.shape))
    y.backward(torch.from_numpy(dy.astype(np.float64)))
    tensors.update({
        f"{name}.x": x, f"{name}.gamma": gamma, f"{name}.beta": beta, f"{name}.dy": dy,
        f"{name}.running_mean": running_mean, f"{name}.running_var": running_var,
        f"{name}.y": y.detach().numpy().astype(np.float32), f"{name}.dx": grad(tx),
        f"{name}.dgamma": grad(tg), f"{name}.dbeta": grad(tb),
        f"{name}.running_mean_after": rm.numpy().astype(np.float32),
        f"{name}.running_var_after": rv.numpy().astype(np.float32),
    })
    meta[name] = json.dumps({"training": training, "momentum": 0.1, "eps": 1e-5})


def write(file, tensors, meta):
    meta["generator"] = "scripts/make_conv_fixtures.py, torch " + torch.__version__.split("+")[0]
    save_file(tensors, os.path.join(OUT, file), metadata=meta)
    size = os.path.getsize(os.path.join(OUT, file))
    print(f"{file}: {len(tensors)} tensors, {size / 1024:.0f} KB")


def main():
    torch.set_num_threads(1)
    tensors, meta = {}, {}
    conv_case(tensors, meta, "basic", [2, 3, 9, 8], [4, 3, 3, 3], padding=(1, 1, 1, 1))
    conv_case(tensors, meta, "stride2_padding1", [3, 2, 11, 10], [5, 2, 3, 3], stride=(2, 2), padding=(1, 1, 1, 1))
    conv_case(tensors, meta, "rectangular_dilated", [2, 3, 10, 12], [4, 3, 2, 3], stride=(1, 2), padding=(1, 1, 2, 2),
              dilation=(2, 1))
    conv_case(tensors, meta, "pointwise", [2, 6, 7, 5], [3, 6, 1, 1])
    conv_case(tensors, meta, "batch1_5x5_no_bias", [1, 2, 12, 12], [3, 2, 5, 5], padding=(2, 2, 2, 2), bias=False)
    conv_case(tensors, meta, "asymmetric_padding", [2, 2, 8, 9], [3, 2, 2, 2], padding=(0, 1, 0, 1))
    conv_case(tensors, meta, "first_layer", [2, 1, 20, 18], [6, 1, 3, 3], padding=(1, 1, 1, 1))
    conv_case(tensors, meta, "wide", [2, 16, 10, 10], [24, 16, 3, 3], padding=(1, 1, 1, 1))
    write("conv2d.safetensors", tensors, meta)

    tensors, meta = {}, {}
    pool_case(tensors, meta, "max_2x2", "max", [2, 3, 8, 10])
    pool_case(tensors, meta, "max_2x2_odd", "max", [2, 2, 7, 9])
    pool_case(tensors, meta, "max_3x3_stride2_padding1", "max", [2, 3, 9, 8], kernel=(3, 3), stride=(2, 2), padding=(1, 1))
    pool_case(tensors, meta, "max_2x3_dilated", "max", [2, 2, 9, 10], kernel=(2, 3), stride=(1, 2), padding=(1, 1),
              dilation=(2, 1))
    pool_case(tensors, meta, "avg_3x3_stride2_padding1", "avg", [2, 3, 9, 8], kernel=(3, 3), stride=(2, 2), padding=(1, 1))
    pool_case(tensors, meta, "avg_2x2", "avg", [2, 2, 8, 6])
    pool_case(tensors, meta, "avg_2x3_padding", "avg", [2, 2, 7, 9], kernel=(2, 3), stride=(2, 1), padding=(1, 1))
    pool_case(tensors, meta, "global_avg", "global", [3, 4, 5, 6])
    write("pooling.safetensors", tensors, meta)

    tensors, meta = {}, {}
    batchnorm_case(tensors, meta, "conv_training", [8, 3, 5, 4], True)
    batchnorm_case(tensors, meta, "conv_eval", [8, 3, 5, 4], False)
    batchnorm_case(tensors, meta, "dense_training", [16, 5], True)
    batchnorm_case(tensors, meta, "dense_eval", [16, 5], False)
    write("batchnorm.safetensors", tensors, meta)


if __name__ == "__main__":
    main()
