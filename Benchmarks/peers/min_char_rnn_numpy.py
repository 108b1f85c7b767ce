#!/usr/bin/env python3
"""numpy peer: characters/s of min-char-rnn's training loop (Karpathy 2015).

The gist's recipe, float64 as it is: a vanilla RNN with one-hot inputs over the text's characters,
hidden 100, chunks of 25 characters, forward with per-step np.dot, summed softmax cross-entropy,
backpropagation through the chunk, gradients clipped to [-5, 5], Adagrad with learning rate 0.1, the
hidden state carried from chunk to chunk and reset at the end of the text. Weights start as in the
gist (randn * 0.01). Timed: the training updates (lossFun + Adagrad); the gist's sampling of 200
characters every 100 updates is left out, as it does not train. Characters/s = 25 × updates / time.

Text: tinyshakespeare (TINYSHAKESPEARE, default ../shared/data/tinyshakespeare.txt beside the
repository), or random characters over 65 symbols when the file cannot be read.
"""

import os

import _common

WORK = "min_char_rnn_h100_seq25"
HIDDEN = 100
SEQ_LENGTH = 25
LEARNING_RATE = 0.1


def text_or_random(seed):
    """The training text and its source name."""
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "tinyshakespeare.txt")
    path = os.environ.get("TINYSHAKESPEARE", default)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), "tinyshakespeare"
    except OSError as error:
        _common.log(f"{path} not readable ({error}); using random characters")
        import random
        rng = random.Random(seed)
        symbols = [chr(32 + k) for k in range(65)]
        return "".join(rng.choice(symbols) for _ in range(200000)), "random"


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--updates-per-rep", type=int, default=None,
                        help="updates per timed repetition (default 400, quick 100)")
    parser.add_argument("--repetitions", type=int, default=None, help="timed repetitions, median reported (default 5, quick 3)")
    args = _common.parse_args(parser)
    try:
        import numpy as np
    except ImportError as error:
        _common.unavailable("numpy", error)
    updates = args.updates_per_rep or (100 if args.quick else 400)
    repetitions = args.repetitions or (3 if args.quick else 5)

    data, source = text_or_random(args.seed)
    chars = sorted(set(data))
    vocab_size = len(chars)
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    encoded = [char_to_ix[ch] for ch in data]

    np.random.seed(args.seed)
    Wxh = np.random.randn(HIDDEN, vocab_size) * 0.01
    Whh = np.random.randn(HIDDEN, HIDDEN) * 0.01
    Why = np.random.randn(vocab_size, HIDDEN) * 0.01
    bh = np.zeros((HIDDEN, 1))
    by = np.zeros((vocab_size, 1))

    def lossFun(inputs, targets, hprev):
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab_size, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys[t] = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
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
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -5, 5, out=dparam)
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]

    memory = [np.zeros_like(m) for m in (Wxh, Whh, Why, bh, by)]
    state = {"n": 0, "p": 0, "hprev": np.zeros((HIDDEN, 1)), "loss": 0.0}

    def train(count):
        n, p, hprev = state["n"], state["p"], state["hprev"]
        for _ in range(count):
            if p + SEQ_LENGTH + 1 >= len(encoded) or n == 0:
                hprev = np.zeros((HIDDEN, 1))
                p = 0
            inputs = encoded[p:p + SEQ_LENGTH]
            targets = encoded[p + 1:p + SEQ_LENGTH + 1]
            loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, hprev)
            for param, dparam, mem in zip([Wxh, Whh, Why, bh, by], [dWxh, dWhh, dWhy, dbh, dby], memory):
                mem += dparam * dparam
                param += -LEARNING_RATE * dparam / np.sqrt(mem + 1e-8)
            p += SEQ_LENGTH
            n += 1
        state.update(n=n, p=p, hprev=hprev, loss=float(loss))

    train(20 if args.quick else 50)  # warm-up
    median, timings = _common.median_seconds(lambda: train(updates), warmup=0, repetitions=repetitions)
    value = SEQ_LENGTH * updates / median
    _common.emit(
        "numpy", WORK, round(value, 1), "chars/s",
        batch=1, threads=args.threads, version=np.__version__, updates=updates, repetitions=repetitions,
        update_ms=round(median / updates * 1e3, 4), min_s=round(timings[0], 6), max_s=round(timings[-1], 6),
        loss=round(state["loss"], 4), data=source, dtype="float64", quick=args.quick,
    )
    _common.log(f"numpy min-char-rnn: {value:,.0f} chars/s ({median / updates * 1e3:.3f} ms per update of {SEQ_LENGTH})")


if __name__ == "__main__":
    main()
