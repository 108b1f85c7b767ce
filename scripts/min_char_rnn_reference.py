#!/usr/bin/env python3
"""The exactness anchor of the vanilla RNN: min-char-rnn's training loop in numpy, float64.

Karpathy's min-char-rnn (2015) trains a character-level vanilla RNN on one sequence at a time:

    h_t = tanh(Wxh·x_t + Whh·h_{t-1} + bh)      x_t one-hot over the vocabulary
    y_t = Why·h_t + by,  p_t = softmax(y_t),  loss = sum over the chunk of -log p_t[target_t]

with hidden size 100, chunks of 25 characters whose targets are the next characters, backpropagation
through the chunk (truncated BPTT) with the hidden state carried from chunk to chunk, every gradient
clipped elementwise to [-5, 5], and Adagrad (mem += g*g; p -= 0.1*g/sqrt(mem + 1e-8)). This script is
that loop, written here from the description (without the sampling, which does not touch the weights),
run for 100 updates.

Both sides start from the same weights without storing them: every entry of Wxh, Whh and Why is
(u - 0.5) * 0.002 with u in [0, 1) from an integer hash of (matrix, row-major index), exact in any
language (`initial_weight`); bh and by start at zero. The text is the start of tinyshakespeare and the
vocabulary its 65 distinct characters, sorted.

Why weights of ±0.001 rather than the gist's randn * 0.01: from the gist's scale the first Adagrad steps
(each about ±0.1, whatever the gradient's size) throw the run into a chaotic regime, where a relative
perturbation of 1e-15 in the initial weights changes the weights after 100 updates by 0.5 (measured
with this loop). Two implementations that round differently in the last bit — another BLAS, another
tanh — cannot then agree to 1e-9, however correct both are. From ±0.001 the same recipe is stable: a
rounding-sized perturbation of every gradient at every update (2e-16 relative) moves the final weights
by about 1e-12.

Output: Tests/LayersTests/Fixtures/min-char-rnn.safetensors with the weights after 100 updates (Wxh,
Whh, Why, bh, by as float64 in the script's shapes), the carried hidden state and the loss of each
update, and in the metadata the text and the vocabulary. MinCharRNNTests (Tests/LayersTests) runs
the same recipe with our ops (the RNN op, affine, softmax cross-entropy times 25, clipGradientValues,
Adagrad) in Double and compares to 1e-9.

    .build/peers-venv/bin/python scripts/min_char_rnn_reference.py [--text ../shared/data/tinyshakespeare.txt]
"""
import argparse
import os
import sys

import numpy as np

HIDDEN = 100
SEQ_LENGTH = 25
LEARNING_RATE = 0.1
UPDATES = 100
TEXT_LENGTH = 2600          # 100 chunks of 25 plus the last target need 2501
MATRIX_SEEDS = {"Wxh": 1, "Whh": 2, "Why": 3}


def initial_weight(seed, index):
    """(u - 0.5) * 0.002 for u = hash(seed, index) / 2**32: a 32-bit integer hash (multiply, xor-shift),
    then one exact division by 2**32 and one rounded multiplication, so Swift computes the same double."""
    x = (index * 2654435761 + seed * 40503 + 12345) % 2**32
    x ^= x >> 16
    x = (x * 0x45D9F3B) % 2**32
    x ^= x >> 16
    return (x / 4294967296.0 - 0.5) * 0.002


def initial_matrix(name, rows, columns):
    seed = MATRIX_SEEDS[name]
    return np.array([[initial_weight(seed, r * columns + c) for c in range(columns)] for r in range(rows)])


def loss_and_gradients(inputs, targets, hprev, Wxh, Whh, Why, bh, by, vocab_size):
    """Forward over the chunk, summed cross-entropy, backward through time; the gist's lossFun."""
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for d in (dWxh, dWhh, dWhy, dbh, dby):
        np.clip(d, -5, 5, out=d)
    return loss, (dWxh, dWhh, dWhy, dbh, dby), hs[len(inputs) - 1]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text", default=os.path.join(here, "..", "..", "shared", "data", "tinyshakespeare.txt"))
    parser.add_argument("--out", default=os.path.join(here, "..", "Tests", "LayersTests", "Fixtures", "min-char-rnn.safetensors"))
    args = parser.parse_args()

    with open(args.text, encoding="utf-8") as handle:
        full = handle.read()
    chars = sorted(set(full))
    data = full[:TEXT_LENGTH]
    index = {ch: i for i, ch in enumerate(chars)}
    vocab_size = len(chars)

    Wxh = initial_matrix("Wxh", HIDDEN, vocab_size)
    Whh = initial_matrix("Whh", HIDDEN, HIDDEN)
    Why = initial_matrix("Why", vocab_size, HIDDEN)
    bh, by = np.zeros((HIDDEN, 1)), np.zeros((vocab_size, 1))
    memory = [np.zeros_like(m) for m in (Wxh, Whh, Why, bh, by)]
    losses = []
    n, p = 0, 0
    hprev = np.zeros((HIDDEN, 1))
    while n < UPDATES:
        if p + SEQ_LENGTH + 1 >= len(data) or n == 0:
            hprev = np.zeros((HIDDEN, 1))
            p = 0
        inputs = [index[ch] for ch in data[p:p + SEQ_LENGTH]]
        targets = [index[ch] for ch in data[p + 1:p + SEQ_LENGTH + 1]]
        loss, gradients, hprev = loss_and_gradients(inputs, targets, hprev, Wxh, Whh, Why, bh, by, vocab_size)
        losses.append(loss)
        for param, dparam, mem in zip((Wxh, Whh, Why, bh, by), gradients, memory):
            mem += dparam * dparam
            param += -LEARNING_RATE * dparam / np.sqrt(mem + 1e-8)
        p += SEQ_LENGTH
        n += 1

    from safetensors.numpy import save_file
    tensors = {"Wxh": Wxh, "Whh": Whh, "Why": Why, "bh": bh.reshape(-1), "by": by.reshape(-1),
               "hprev": hprev.reshape(-1), "losses": np.array(losses)}
    # One metadata entry per fact would be written in hash order (varying run to run): one JSON string.
    import json
    metadata = {"recipe": json.dumps({"text": data, "vocabulary": "".join(chars), "hidden": HIDDEN,
                                      "seq_length": SEQ_LENGTH, "learning_rate": LEARNING_RATE, "updates": UPDATES,
                                      "source": "scripts/min_char_rnn_reference.py, numpy " + np.__version__},
                                     ensure_ascii=False, sort_keys=True)}
    save_file({k: np.ascontiguousarray(v, dtype=np.float64) for k, v in tensors.items()}, args.out, metadata=metadata)
    os.chmod(args.out, 0o644)
    print(f"wrote {os.path.normpath(args.out)} ({os.path.getsize(args.out)} bytes): loss {losses[0]:.4f} → {losses[-1]:.4f} "
          f"over {UPDATES} updates", file=sys.stderr)


if __name__ == "__main__":
    main()
