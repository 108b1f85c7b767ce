#!/usr/bin/env python3
"""PyTorch peer: training seconds until the cnn preset's recipe first reaches a Fashion-MNIST test accuracy.

The recipe of `circuits train --model cnn`: Conv2d(1, 32, 3, padding=1), BatchNorm2d(32), ReLU,
MaxPool2d(2), Conv2d(32, 64, 3, padding=1), BatchNorm2d(64), ReLU, MaxPool2d(2), Flatten,
Linear(3136, 128), ReLU, Dropout(0.3), Linear(128, 10); CrossEntropyLoss, Adam(lr=2e-3), the learning
rate of epoch e (zero-based) set to 2e-3 * (0.01 + 0.99 * (1 + cos(pi * e / 16)) / 2) as our cosine
schedule does (minimum factor 0.01), batch 64, a fresh permutation each epoch, each training image
flipped left-right with probability 1/2, float32 NCHW, inputs scaled to [0, 1]. The test accuracy is
evaluated after every epoch (eval mode, batches of 1000); the stopwatch runs only while training. One
JSON line: value = training seconds until the accuracy first reached --target (or all --max-epochs
when it never did), with the epochs, the accuracy and each epoch's accuracy.
"""

import math
import time

import _common


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--target", type=float, default=0.92, help="test accuracy to reach (default 0.92)")
    parser.add_argument("--max-epochs", type=int, default=16, help="epochs before giving up (default 16, the schedule's length)")
    parser.add_argument("--schedule-epochs", type=int, default=16, help="length of the cosine schedule (default 16)")
    args = _common.parse_args(parser)
    max_epochs = 1 if args.quick else args.max_epochs

    try:
        import torch
        import torch.nn as nn
    except ImportError as error:
        _common.unavailable("torch", error)
    try:
        X_train, y_train = _common.load_fashion_mnist("train")
        X_test, y_test = _common.load_fashion_mnist("t10k")
    except (OSError, ValueError) as error:
        _common.unavailable("Fashion-MNIST", error)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    X_train = torch.from_numpy(X_train).reshape(-1, 1, 28, 28)
    y_train = torch.from_numpy(y_train)
    X_test = torch.from_numpy(X_test).reshape(-1, 1, 28, 28)
    y_test = torch.from_numpy(y_test)
    n = X_train.shape[0]
    batch = 64

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10),
    )
    loss_fn = nn.CrossEntropyLoss()
    base = 2e-3
    optimizer = torch.optim.Adam(model.parameters(), lr=base)
    generator = torch.Generator().manual_seed(args.seed)

    def evaluate():
        model.eval()
        with torch.no_grad():
            correct = sum((model(X_test[i:i + 1000]).argmax(dim=1) == y_test[i:i + 1000]).sum().item()
                          for i in range(0, X_test.shape[0], 1000))
        model.train()
        return correct / X_test.shape[0]

    total = 0.0
    accuracies = []
    reached = False
    epochs = 0
    for epoch in range(max_epochs):
        t = min(epoch / args.schedule_epochs, 1.0)
        for group in optimizer.param_groups:
            group["lr"] = base * (0.01 + 0.99 * (1 + math.cos(math.pi * t)) / 2)
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        for indices in order.split(batch):
            xb = X_train[indices]
            flip = torch.rand(xb.shape[0], generator=generator) < 0.5
            xb = torch.where(flip.view(-1, 1, 1, 1), xb.flip(3), xb)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), y_train[indices])
            loss.backward()
            optimizer.step()
        total += time.perf_counter() - start
        epochs = epoch + 1
        accuracy = evaluate()
        accuracies.append(round(accuracy, 4))
        _common.log(f"torch cnn epoch {epochs}: test accuracy {accuracy:.4f}, train {total:.1f} s")
        if accuracy >= args.target:
            reached = True
            break
    _common.emit("torch", f"cnn_time_to_{round(args.target * 100)}pct", round(total, 2), "s",
                 threads=args.threads, version=torch.__version__, batch=batch, target=args.target,
                 reached=reached, epochs=epochs, accuracy=accuracies[-1], accuracies=accuracies,
                 seconds_per_epoch=round(total / max(epochs, 1), 2), seed=args.seed, quick=args.quick)


if __name__ == "__main__":
    main()
