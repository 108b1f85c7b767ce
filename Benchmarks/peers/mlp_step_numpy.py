#!/usr/bin/env python3
"""numpy peer: examples/s of one training step of a 784-256-10 MLP, written by hand.

Forward X@W1+b1, ReLU, @W2+b2, numerically stable softmax cross-entropy (mean
over the batch); backward with matrix products; SGD with momentum 0.9
(v = 0.9 v + g; w -= 0.05 v, the PyTorch convention), updated in place.
Everything float32. Same data and batching as mlp_step_torch.py.
"""

import _common

WORK = "mlp_step_784_256_10"
LEARNING_RATE = 0.05
MOMENTUM = 0.9


def blas_name(np):
    """Name and version of the BLAS numpy was built against, when numpy says."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        return None


class MLP:
    """784-256-10 MLP with preallocated work buffers for one batch size."""

    def __init__(self, np, batch, rng, inputs=784, hidden=256, classes=10):
        self.np = np
        f32 = np.float32
        # PyTorch's default Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        bound1 = 1.0 / inputs ** 0.5
        bound2 = 1.0 / hidden ** 0.5
        self.W1 = rng.uniform(-bound1, bound1, (inputs, hidden)).astype(f32)
        self.b1 = rng.uniform(-bound1, bound1, hidden).astype(f32)
        self.W2 = rng.uniform(-bound2, bound2, (hidden, classes)).astype(f32)
        self.b2 = rng.uniform(-bound2, bound2, classes).astype(f32)
        self.params = [self.W1, self.b1, self.W2, self.b2]
        self.velocity = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]
        self.rows = np.arange(batch)
        self.inv_batch = f32(1.0 / batch)

    def step(self, X, y):
        """One forward, backward and momentum update on batch (X, y); returns the loss."""
        np = self.np
        W1, b1, W2, b2 = self.params
        rows = self.rows

        # forward
        h = X @ W1
        h += b1
        np.maximum(h, 0, out=h)
        scores = h @ W2
        scores += b2
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)  # now the probabilities
        loss = -np.log(scores[rows, y]).mean()

        # backward: d loss / d scores = (p - onehot(y)) / batch
        dscores = scores
        dscores[rows, y] -= 1
        dscores *= self.inv_batch
        dW2 = h.T @ dscores
        db2 = dscores.sum(axis=0)
        dh = dscores @ W2.T
        dh[h <= 0] = 0
        dW1 = X.T @ dh
        db1 = dh.sum(axis=0)

        # momentum update, in place
        for param, velocity, scratch, grad in zip(self.params, self.velocity, self.scratch,
                                                  (dW1, db1, dW2, db2)):
            velocity *= MOMENTUM
            velocity += grad
            np.multiply(velocity, LEARNING_RATE, out=scratch)
            param -= scratch
        return loss


def main():
    args, batches, per_rep, repetitions = _common.parse_mlp_step_args(__doc__)

    try:
        import numpy as np
    except ImportError as error:
        _common.unavailable("numpy", error)

    pool = max(max(batches) * 8, 4096)
    X, y, source = _common.training_data_or_random(pool, seed=args.seed)
    blas = blas_name(np)

    for batch in batches:
        rng = np.random.default_rng(args.seed)
        model = MLP(np, batch, rng)
        slices = [(np.ascontiguousarray(X[i:i + batch]), y[i:i + batch].copy())
                  for i in range(0, pool - batch + 1, batch)]
        steps = max(10, per_rep // batch)
        cursor = [0]
        last_loss = [0.0]

        def run_steps(count):
            index = cursor[0]
            for _ in range(count):
                xb, yb = slices[index]
                index = (index + 1) % len(slices)
                loss = model.step(xb, yb)
            cursor[0] = index
            last_loss[0] = float(loss)

        run_steps(20 if args.quick else 50)  # warm-up
        median, timings = _common.median_seconds(lambda: run_steps(steps), warmup=0,
                                                 repetitions=repetitions)
        assert model.W1.dtype == np.float32 and model.velocity[0].dtype == np.float32
        value = batch * steps / median
        _common.emit(
            "numpy", WORK, round(value, 1), "examples/s",
            batch=batch, threads=args.threads, version=np.__version__, blas=blas,
            steps=steps, repetitions=repetitions, step_ms=round(median / steps * 1e3, 4),
            min_s=round(timings[0], 6), max_s=round(timings[-1], 6),
            loss=round(last_loss[0], 4), data=source, dtype="float32", quick=args.quick,
        )
        _common.log(f"numpy batch {batch}: {value:,.0f} examples/s ({median / steps * 1e3:.3f} ms/step)")


if __name__ == "__main__":
    main()
