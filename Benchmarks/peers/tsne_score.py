"""Scores t-SNE embeddings of Fashion-MNIST the same way for every tool.

    tsne_score.py --size 10k|70k [--threads N] EMBEDDING.csv ...

Each CSV holds x,y[,label] with one row per image in the order of _tsne.load (its labels, when present,
are checked against the data's, so a reordered file is caught). For each file one JSON line:

- kl: KL(P‖Q) with one P for all tools — pixels / 255, projected on 50 principal components
  (eigenvectors of the covariance), exact 90 nearest neighbours, Gaussian calibrated to perplexity 30 by
  bisection, symmetrised (P + Pᵀ)/2N — and Q from the embedding with Z summed over all N² pairs;
- trustworthiness: Venna & Kaski's T(10) against the ranks in the 50-dimensional space (all points
  at 10k; a fixed sample of 10,000 query points at 70k, normalised the same way);
- knn_preservation: the mean share of each point's 10 nearest neighbours in 50-D that are also among
  its 10 nearest in 2-D;
- knn_accuracy: leave-one-out accuracy of a 10-nearest-neighbour majority vote in 2-D (ties: lowest label).
"""

import json
import math
import sys

import _common
import _tsne


def high_dimensional(X, threads, k):
    """PCA-50 rows (numpy and torch), their squared norms, and each row's k nearest neighbours
    (indices, squared distances in double), by exact search in blocks."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    Xc = X.astype(np.float64) - X.mean(axis=0, dtype=np.float64)
    values, vectors = np.linalg.eigh(Xc.T @ Xc)
    Z = (Xc @ vectors[:, ::-1][:, :50]).astype(np.float32)
    T = torch.from_numpy(Z)
    norms = (T * T).sum(1)
    n = Z.shape[0]
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float64)

    def rows(start, stop):
        d = norms[start:stop, None] + norms[None, :] - 2 * T[start:stop] @ T.T
        d.clamp_(min=0)
        d[torch.arange(stop - start), torch.arange(start, stop)] = float("inf")
        return d

    for start in range(0, n, 2048):
        stop = min(n, start + 2048)
        d = rows(start, stop)
        best = torch.topk(d, k, dim=1, largest=False, sorted=True)
        indices[start:stop] = best.indices.numpy()
        # exact distances of the kept neighbours, in double
        diff = Z[start:stop, None, :].astype(np.float64) - Z[indices[start:stop]].astype(np.float64)
        distances[start:stop] = (diff * diff).sum(-1)
    return Z, T, norms, indices, distances


def affinities(indices, distances, perplexity):
    import numpy as np
    import scipy.sparse as sp

    n, k = distances.shape
    target = math.log(perplexity)
    shifted = distances - distances[:, :1]
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    beta = np.ones(n)
    for _ in range(200):
        e = np.exp(-beta[:, None] * shifted)
        s = e.sum(1)
        entropy = np.log(s) + beta * (shifted * e).sum(1) / s
        gap = entropy - target
        if np.all(np.abs(gap) < 1e-5):
            break
        up = gap > 0
        lo = np.where(up, beta, lo)
        hi = np.where(up, hi, beta)
        beta = np.where(up, np.where(np.isinf(hi), beta * 2, (beta + hi) / 2), (beta + lo) / 2)
    e = np.exp(-beta[:, None] * shifted)
    conditional = e / e.sum(1, keepdims=True)
    rows = np.repeat(np.arange(n), k)
    C = sp.csr_matrix((conditional.ravel(), (rows, indices.ravel())), shape=(n, n))
    P = (C + C.T) / (2 * n)
    return P.tocoo()


def kl_divergence(P, Y, threads):
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    T = torch.from_numpy(Y.astype(np.float32))
    n = Y.shape[0]
    norms = (T * T).sum(1)
    z = 0.0
    for start in range(0, n, 2048):
        stop = min(n, start + 2048)
        d = (norms[start:stop, None] + norms[None, :] - 2 * T[start:stop] @ T.T).clamp_(min=0)
        w = 1.0 / (1.0 + d)
        z += float(w.sum(dtype=torch.float64)) - (stop - start)   # less the diagonal (w = 1)
    d = ((Y[P.row] - Y[P.col]) ** 2).sum(1)
    p = P.data
    return float((p * np.log(p)).sum() + (p * np.log1p(d)).sum() + p.sum() * math.log(z))


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--size", choices=("10k", "70k"), default="10k")
    parser.add_argument("--perplexity", type=float, default=30.0)
    parser.add_argument("csv", nargs="+")
    args = _common.parse_args(parser)
    import numpy as np
    import torch
    from sklearn.neighbors import NearestNeighbors

    X, labels = _tsne.load(args.size)
    n = X.shape[0]
    k = min(n - 1, int(3 * args.perplexity))
    _common.log(f"score: {n} points, PCA 50, {k} neighbours")
    Z, T, norms, indices, distances = high_dimensional(X, args.threads, k)
    P = affinities(indices, distances, args.perplexity)
    high10 = indices[:, :10]
    rng = np.random.default_rng(0)
    queries = np.arange(n) if n <= 10_000 else np.sort(rng.choice(n, 10_000, replace=False))

    embeddings = []
    for path in args.csv:
        data = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
        Y = np.stack([data["x"].astype(np.float64), data["y"].astype(np.float64)], axis=1)
        if Y.shape[0] != n:
            raise SystemExit(f"{path}: {Y.shape[0]} rows, expected {n}")
        if "label" in data.dtype.names and not np.array_equal(data["label"].astype(np.int64), labels):
            raise SystemExit(f"{path}: labels differ from the data's: rows are not in input order")
        nn = NearestNeighbors(n_neighbors=11).fit(Y)
        _, found = nn.kneighbors(Y)
        low10 = np.empty((n, 10), dtype=np.int64)
        for i in range(n):
            row = found[i][found[i] != i][:10]
            low10[i] = row
        embeddings.append((path, Y, low10))

    # Trustworthiness: ranks in 50-D of each query's 2-D neighbours that are not 50-D neighbours.
    penalties = [0.0] * len(embeddings)
    for start in range(0, len(queries), 1024):
        q = queries[start:start + 1024]
        d = norms[q][:, None] + norms[None, :] - 2 * T[q] @ T.T
        d.clamp_(min=0)
        d[torch.arange(len(q)), torch.from_numpy(q)] = float("inf")   # a point is not its own neighbour
        for e, (_, _, low10) in enumerate(embeddings):
            neighbours = torch.from_numpy(low10[q])
            chosen = torch.gather(d, 1, neighbours)                          # [q, 10]
            # rank 1 is the nearest: one plus the number of points strictly closer in 50-D
            ranks = torch.stack([(d < chosen[:, j:j + 1]).sum(1) + 1 for j in range(10)], 1)
            inside = np.array([[low10[i, j] in set(high10[i]) for j in range(10)] for i in q])
            penalty = ((ranks.numpy() - 10) * (~inside)).sum()
            penalties[e] += float(penalty)
    m = len(queries)
    for e, (path, Y, low10) in enumerate(embeddings):
        trust = 1 - 2.0 / (m * 10 * (2 * n - 3 * 10 - 1)) * penalties[e]
        preservation = float(np.mean([len(set(high10[i]) & set(low10[i])) / 10 for i in range(n)]))
        votes = labels[low10]
        counts = np.zeros((n, labels.max() + 1), dtype=np.int64)
        for j in range(10):
            np.add.at(counts, (np.arange(n), votes[:, j]), 1)
        accuracy = float(np.mean(counts.argmax(1) == labels))
        kl = kl_divergence(P, Y, args.threads)
        record = {"file": path, "points": n, "kl": round(kl, 5), "trustworthiness": round(trust, 5),
                  "knn_preservation": round(preservation, 5), "knn_accuracy": round(accuracy, 5),
                  "trust_queries": m}
        print(json.dumps(record), flush=True)
        _common.log(f"score: {path}: KL {kl:.4f}  T(10) {trust:.4f}  10-NN kept {preservation:.3f}  10-NN acc {accuracy:.4f}")


if __name__ == "__main__":
    main()
