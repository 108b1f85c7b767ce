"""Reference trajectories for the Adagrad tests (numpy, float64).

The same parameter and gradient sequence as optimizers.py, five steps of Adagrad in three settings:
PyTorch's form (eps after the square root, 1e-10), min-char-rnn's form (eps under it, 1e-8), and PyTorch's
lr_decay with an initial accumulator value. AdagradTests replays them in Swift.
Rerun to regenerate: python3 Tests/LayersTests/Reference/adagrad.py
"""
import numpy as np

p0 = np.array([0.5, -1.0, 2.0, 0.0])
grads = [np.array([0.1 * (k + 1), -0.2, 0.3 * (-1) ** k, 1.0 / (k + 1)]) for k in range(5)]


def adagrad(lr, eps, inside, decay=0.0, initial=0.0):
    p, s = p0.copy(), np.full_like(p0, initial)
    for t, g in enumerate(grads, start=1):
        s += g * g
        rate = lr / (1 + (t - 1) * decay)
        p -= rate * g / (np.sqrt(s + eps) if inside else np.sqrt(s) + eps)
    return p


for name, p in [("torch", adagrad(0.1, 1e-10, False)), ("min-char-rnn", adagrad(0.1, 1e-8, True)),
                ("decay", adagrad(0.1, 1e-10, False, decay=0.5, initial=0.2))]:
    print(f"\"{name}\": [{', '.join(repr(float(x)) for x in p)}],")
