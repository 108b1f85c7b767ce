#!/usr/bin/env python3
"""Time to a Fashion-MNIST test accuracy (default 87%) for PyTorch and scikit-learn.

Peers (select with --peers):
  torch        784-256-10 MLP (Linear, ReLU, Linear), CrossEntropyLoss, SGD momentum 0.9,
               lr 0.05, batch 128, shuffled each epoch; test accuracy after each epoch
               (or every --eval-every steps).
  sklearn-mlp  MLPClassifier(hidden_layer_sizes=(256,), solver='sgd', momentum=0.9,
               learning_rate_init=0.05, batch_size=128), one partial_fit per epoch.
               By default nesterovs_momentum=False and alpha=0 so that the recipe is
               the torch one; --sklearn-defaults keeps sklearn's Nesterov and alpha=1e-4.
  sklearn-sgd  SGDClassifier(loss='hinge'), one partial_fit per epoch for --sgd-epochs
               epochs; reports its best test accuracy and the time to it.
Inputs are scaled to [0, 1]. Only training time is counted (evaluation is not);
the number of evaluations is reported. Stops at the target or after --max-epochs.
"""

import time

import _common


def target_name(target):
    return f"time_to_{round(target * 100)}pct"


class Stopwatch:
    """Accumulates training time only: pause around evaluations."""

    def __init__(self):
        self.total = 0.0
        self.started = None

    def start(self):
        self.started = time.perf_counter()

    def stop(self):
        self.total += time.perf_counter() - self.started
        self.started = None


def report(peer, version, args, seconds, reached, accuracy, epochs, evals, steps=None, **extra):
    context = dict(threads=args.threads, version=version, batch=128, target=args.target,
                   reached=reached, accuracy=round(accuracy, 4), epochs=epochs, evals=evals)
    if steps is not None:
        context["steps"] = steps
    context.update(extra)
    context.update(data="fashion-mnist", quick=args.quick)
    _common.emit(peer, target_name(args.target), round(seconds, 3), "s", **context)
    _common.emit(peer, "test_accuracy", round(accuracy, 4), "fraction",
                 **{k: v for k, v in context.items() if k != "accuracy"},
                 train_seconds=round(seconds, 3))


def run_torch(args, data):
    try:
        import torch
    except ImportError as error:
        _common.log(f"skipped: torch is not available here ({error})")
        return False
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    X_train, y_train, X_test, y_test = (torch.from_numpy(a) for a in data)
    n = X_train.shape[0]
    batch = 128

    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(args.seed)

    def evaluate():
        with torch.no_grad():
            return (model(X_test).argmax(dim=1) == y_test).float().mean().item()

    watch = Stopwatch()
    evals = 0
    steps = 0
    accuracy = 0.0
    reached = False
    epochs = 0
    for epoch in range(1, args.max_epochs + 1):
        epochs = epoch
        watch.start()
        # Shuffle: a fresh permutation, each batch gathered by its indices when it is used
        # (cheaper than gathering the whole 60000 x 784 epoch up front).
        order = torch.randperm(n, generator=generator)
        for indices in order.split(batch):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_train[indices]), y_train[indices])
            loss.backward()
            optimizer.step()
            steps += 1
            if args.eval_every and steps % args.eval_every == 0:
                watch.stop()
                accuracy = evaluate()
                evals += 1
                if accuracy >= args.target:
                    reached = True
                    break
                watch.start()
        if reached:
            break
        watch.stop()
        accuracy = evaluate()
        evals += 1
        _common.log(f"torch epoch {epoch}: test accuracy {accuracy:.4f}, train {watch.total:.2f} s")
        if accuracy >= args.target:
            reached = True
            break
    _common.log(f"torch: {'reached' if reached else 'did not reach'} {args.target:.2%} "
                f"after {watch.total:.2f} s ({epochs} epochs, {steps} steps, {evals} evals), "
                f"accuracy {accuracy:.4f}")
    report("torch", torch.__version__, args, watch.total, reached, accuracy, epochs, evals,
           steps=steps, eval_every=args.eval_every or "epoch",
           model="784-256-10 relu", optimizer="SGD lr 0.05 momentum 0.9")
    return True


def run_sklearn_mlp(args, data):
    try:
        import numpy as np
        import sklearn
        from sklearn.neural_network import MLPClassifier
    except ImportError as error:
        _common.log(f"skipped: scikit-learn is not available here ({error})")
        return False
    X_train, y_train, X_test, y_test = data
    options = dict(hidden_layer_sizes=(256,), solver="sgd", momentum=0.9,
                   learning_rate_init=0.05, batch_size=128, random_state=args.seed, shuffle=True)
    if not args.sklearn_defaults:
        options.update(nesterovs_momentum=False, alpha=0.0)
    classifier = MLPClassifier(**options)
    classes = np.unique(y_train)

    watch = Stopwatch()
    evals = 0
    accuracy = 0.0
    reached = False
    epochs = 0
    for epoch in range(1, args.max_epochs + 1):
        epochs = epoch
        watch.start()
        classifier.partial_fit(X_train, y_train, classes=classes)
        watch.stop()
        accuracy = float(classifier.score(X_test, y_test))
        evals += 1
        _common.log(f"sklearn-mlp epoch {epoch}: test accuracy {accuracy:.4f}, train {watch.total:.2f} s")
        if accuracy >= args.target:
            reached = True
            break
    _common.log(f"sklearn-mlp: {'reached' if reached else 'did not reach'} {args.target:.2%} "
                f"after {watch.total:.2f} s ({epochs} epochs), accuracy {accuracy:.4f}")
    report("sklearn-mlp", sklearn.__version__, args, watch.total, reached, accuracy, epochs, evals,
           nesterovs_momentum=classifier.nesterovs_momentum, alpha=classifier.alpha,
           weights_dtype=str(classifier.coefs_[0].dtype))
    return True


def run_sklearn_sgd(args, data):
    try:
        import numpy as np
        import sklearn
        from sklearn.linear_model import SGDClassifier
    except ImportError as error:
        _common.log(f"skipped: scikit-learn is not available here ({error})")
        return False
    X_train, y_train, X_test, y_test = data
    classifier = SGDClassifier(loss="hinge", random_state=args.seed, n_jobs=args.threads)
    classes = np.unique(y_train)

    watch = Stopwatch()
    best = (-1.0, 0.0, 0)  # accuracy, training seconds when first reached, epoch
    reached_at = None
    accuracy = 0.0
    for epoch in range(1, args.sgd_epochs + 1):
        watch.start()
        classifier.partial_fit(X_train, y_train, classes=classes)
        watch.stop()
        accuracy = float(classifier.score(X_test, y_test))
        _common.log(f"sklearn-sgd epoch {epoch}: test accuracy {accuracy:.4f}, train {watch.total:.2f} s")
        if accuracy > best[0]:
            best = (accuracy, watch.total, epoch)
        if reached_at is None and accuracy >= args.target:
            reached_at = (watch.total, epoch, accuracy)
    epochs = args.sgd_epochs
    version = sklearn.__version__
    context = dict(threads=args.threads, version=version, batch=1, target=args.target,
                   data="fashion-mnist", quick=args.quick, loss="hinge", alpha=classifier.alpha,
                   learning_rate=classifier.learning_rate, n_jobs=args.threads)
    _common.emit("sklearn-sgd", "time_to_best_accuracy", round(best[1], 3), "s",
                 accuracy=round(best[0], 4), epoch=best[2], epochs=epochs, evals=epochs, **context)
    _common.emit("sklearn-sgd", "test_accuracy", round(best[0], 4), "fraction",
                 epoch=best[2], epochs=epochs, evals=epochs, final_accuracy=round(accuracy, 4),
                 train_seconds=round(watch.total, 3), **context)
    if reached_at is not None:
        _common.emit("sklearn-sgd", target_name(args.target), round(reached_at[0], 3), "s",
                     reached=True, accuracy=round(reached_at[2], 4), epochs=reached_at[1],
                     evals=reached_at[1], **context)
    else:
        _common.emit("sklearn-sgd", target_name(args.target), round(watch.total, 3), "s",
                     reached=False, accuracy=round(best[0], 4), epochs=epochs, evals=epochs, **context)
    _common.log(f"sklearn-sgd: best accuracy {best[0]:.4f} after {best[1]:.2f} s (epoch {best[2]})")
    return True


RUNNERS = {"torch": run_torch, "sklearn-mlp": run_sklearn_mlp, "sklearn-sgd": run_sklearn_sgd}


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--peers", default="torch,sklearn-mlp,sklearn-sgd",
                        help="comma-separated subset of torch, sklearn-mlp, sklearn-sgd")
    parser.add_argument("--target", type=float, default=0.87, help="test accuracy to reach (default 0.87)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="epochs before giving up on the target (default 20, quick 2)")
    parser.add_argument("--sgd-epochs", type=int, default=None,
                        help="epochs of the SGDClassifier (default 5, quick 2)")
    parser.add_argument("--eval-every", type=int, default=0,
                        help="torch: also evaluate every N steps (default 0: after each epoch only)")
    parser.add_argument("--sklearn-defaults", action="store_true",
                        help="MLPClassifier with sklearn's Nesterov momentum and alpha=1e-4")
    args = _common.parse_args(parser)
    args.max_epochs = args.max_epochs or (2 if args.quick else 20)
    args.sgd_epochs = args.sgd_epochs or (2 if args.quick else 5)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in RUNNERS]
    if unknown:
        parser.error(f"unknown peers: {', '.join(unknown)}")

    try:
        import numpy  # noqa: F401  (needed by every peer)
    except ImportError as error:
        _common.unavailable("numpy", error)
    try:
        X_train, y_train = _common.load_fashion_mnist("train")
        X_test, y_test = _common.load_fashion_mnist("t10k")
    except (OSError, ValueError) as error:
        _common.unavailable("Fashion-MNIST", error)
    data = (X_train, y_train, X_test, y_test)
    _common.log(f"Fashion-MNIST: {X_train.shape[0]} training, {X_test.shape[0]} test examples")

    ran = [RUNNERS[peer](args, data) for peer in peers]
    if not any(ran):
        _common.sys.exit(_common.EXIT_UNAVAILABLE)


if __name__ == "__main__":
    main()
