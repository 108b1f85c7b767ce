"""Shared parts of the t-SNE peer scripts (tsne_sklearn.py, tsne_opentsne.py) and the scorer.

The data are Fashion-MNIST's pixels / 255: the 10,000 test images ("10k") or all 70,000 images
("70k": the 60,000 training images, then the 10,000 test images — the order `circuits tsne` reads a
directory in). Like _common, nothing here imports numpy at import time.
"""

import os
import time

import _common


def add_tsne_arguments(parser):
    parser.add_argument("--size", choices=("10k", "70k"), default="10k",
                        help="the 10,000 test images or all 70,000 images (default 10k)")
    parser.add_argument("--out", required=True, help="embedding CSV to write (x,y,label)")
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("--iterations", type=int, default=1000, help="total, early exaggeration included")
    parser.add_argument("--pca", type=int, default=50, help="principal components before t-SNE")


def load(size):
    """(X float32 [n, 784] in [0, 1], labels int64 [n])."""
    import numpy as np

    X, y = _common.load_fashion_mnist("t10k")
    if size == "70k":
        Xt, yt = _common.load_fashion_mnist("train")
        X, y = np.concatenate([Xt, X]), np.concatenate([yt, y])
    return X, y


def pca(X, components, seed):
    """scikit-learn's PCA, the step every peer's users take before t-SNE."""
    from sklearn.decomposition import PCA

    return PCA(n_components=components, random_state=seed).fit_transform(X)


def write_csv(path, embedding, labels):
    """x,y,label — the same layout as `circuits tsne --out`, written atomically."""
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write("x,y,label\n")
        for (a, b), c in zip(embedding, labels):
            handle.write(f"{a:.6g},{b:.6g},{int(c)}\n")
    os.replace(tmp, path)


class Stopwatch:
    def __init__(self):
        self.start = time.perf_counter()

    def seconds(self):
        return time.perf_counter() - self.start
