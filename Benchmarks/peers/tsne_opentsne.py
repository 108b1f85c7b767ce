"""openTSNE on Fashion-MNIST (pixels / 255 -> PCA 50), the peer of `circuits tsne`.

openTSNE's defaults (its neighbour search "auto", PCA initialisation, learning rate "auto") with the
issue's schedule: 250 iterations of early exaggeration 12, then 750; --method bh (Barnes-Hut, θ 0.5)
or fft (FIt-SNE's interpolation). Prints one JSON line with the seconds from the PCA to the embedding
(data loading and imports excluded) and writes the embedding.
"""

import _common
import _tsne


def main():
    parser = _common.make_parser(__doc__)
    _tsne.add_tsne_arguments(parser)
    parser.add_argument("--method", choices=("bh", "fft"), default="fft")
    args = _common.parse_args(parser)
    try:
        import numpy as np
        import openTSNE
    except ImportError as error:
        _common.unavailable("openTSNE", error)
    try:
        X, y = _tsne.load(args.size)
    except (OSError, ValueError) as error:
        _common.unavailable("Fashion-MNIST", error)
    _common.log(f"openTSNE ({args.method}): {X.shape[0]} points, threads={args.threads}")
    clock = _tsne.Stopwatch()
    Z = _tsne.pca(X, args.pca, args.seed)
    early = 250
    model = openTSNE.TSNE(n_components=2, perplexity=args.perplexity, early_exaggeration_iter=early,
                          n_iter=max(0, args.iterations - early), negative_gradient_method=args.method,
                          n_jobs=args.threads, random_state=args.seed)
    embedding = model.fit(Z)
    seconds = clock.seconds()
    _tsne.write_csv(args.out, np.asarray(embedding), y)
    _common.emit("openTSNE", f"tsne-{args.method}-{args.size}", seconds, "s", points=int(X.shape[0]),
                 threads=args.threads, kl=float(embedding.kl_divergence), version=_common.package_version("openTSNE"),
                 out=args.out)


if __name__ == "__main__":
    main()
