"""Reference trajectories for the optimizer tests (numpy, float64).

Each optimizer runs 5 steps on the same parameter and gradient sequence; the test replays them in Swift
and compares. Rerun to regenerate: python3 Tests/LayersTests/Reference/optimizers.py
"""
import numpy as np

p0 = np.array([0.5, -1.0, 2.0, 0.0])
grads = [np.array([0.1 * (k + 1), -0.2, 0.3 * (-1) ** k, 1.0 / (k + 1)]) for k in range(5)]
lr = 0.1


def sgd(mu=0.0, nesterov=False):
    p, v = p0.copy(), np.zeros_like(p0)
    for g in grads:
        if mu == 0:
            p -= lr * g
            continue
        v = mu * v + g
        p -= lr * (g + mu * v) if nesterov else lr * v
    return p


def adam(b1=0.9, b2=0.999, eps=1e-8):
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        vhat = v / (1 - b2 ** t)
        p -= lr * mhat / (np.sqrt(vhat) + eps)
    return p


for name, p in [("sgd", sgd()), ("momentum", sgd(0.9)), ("nesterov", sgd(0.9, True)), ("adam", adam())]:
    print(f"{name}: [{', '.join(repr(float(x)) for x in p)}]")
