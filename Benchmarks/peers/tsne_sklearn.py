"""scikit-learn's Barnes-Hut t-SNE on Fashion-MNIST (pixels / 255 -> PCA 50), the peer of `circuits tsne`.

Settings as the issue states them: perplexity 30, 1000 iterations (250 of early exaggeration 12),
learning rate "auto", PCA initialisation, angle 0.5, n_jobs = --threads. Prints one JSON line with the
seconds from the PCA to the embedding (data loading and imports excluded) and writes the embedding.
"""

import _common
import _tsne


def main():
    parser = _common.make_parser(__doc__)
    _tsne.add_tsne_arguments(parser)
    parser.add_argument("--method", choices=("barnes_hut", "exact"), default="barnes_hut")
    args = _common.parse_args(parser)
    try:
        import numpy as np
        from sklearn.manifold import TSNE
    except ImportError as error:
        _common.unavailable("scikit-learn", error)
    try:
        X, y = _tsne.load(args.size)
    except (OSError, ValueError) as error:
        _common.unavailable("Fashion-MNIST", error)
    _common.log(f"sklearn t-SNE ({args.method}): {X.shape[0]} points, threads={args.threads}")
    clock = _tsne.Stopwatch()
    Z = _tsne.pca(X, args.pca, args.seed)
    model = TSNE(n_components=2, perplexity=args.perplexity, early_exaggeration=12.0, learning_rate="auto",
                 max_iter=args.iterations, init="pca", method=args.method, angle=0.5, n_jobs=args.threads,
                 random_state=args.seed)
    embedding = model.fit_transform(Z)
    seconds = clock.seconds()
    _tsne.write_csv(args.out, embedding, y)
    _common.emit("sklearn", f"tsne-{args.method}-{args.size}", seconds, "s", points=int(X.shape[0]),
                 threads=args.threads, kl=float(model.kl_divergence_), version=_common.package_version("scikit-learn"),
                 out=args.out)


if __name__ == "__main__":
    main()
