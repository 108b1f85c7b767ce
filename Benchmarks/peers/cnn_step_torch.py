#!/usr/bin/env python3
"""PyTorch peer: examples/s of one Adam training step of the small CNN on CPU.

The network of issue 14: Conv2d(1, 32, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(32, 64, 3,
padding=1), ReLU, MaxPool2d(2), Flatten, Linear(3136, 128), ReLU, Linear(128, 10) — 421,642
parameters — with CrossEntropyLoss and Adam(lr=1e-3), float32, NCHW. Step = zero_grad, forward, loss,
backward, optimizer.step. Batches are cut from the first max(8 * batch, 4096) Fashion-MNIST training
images (random data when the file cannot be read) before timing, and the timed loop cycles through
them. One JSON line: value = batch * steps / median seconds over `--repetitions` samples of `--steps`
steps, after `--warmup` untimed steps.
"""

import _common


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--batch", type=int, default=64, help="images per batch (default 64)")
    parser.add_argument("--steps", type=int, default=None, help="steps per timed sample (default 40, quick 10)")
    parser.add_argument("--repetitions", type=int, default=None, help="timed samples, median reported (default 5, quick 3)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first (default 20)")
    args = _common.parse_args(parser)
    steps = args.steps or (10 if args.quick else 40)
    repetitions = args.repetitions or (3 if args.quick else 5)

    try:
        import torch
        import torch.nn as nn
    except ImportError as error:
        _common.unavailable("torch", error)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    pool = max(args.batch * 8, 4096)
    X, y, source = _common.training_data_or_random(pool, seed=args.seed)
    X_all = torch.from_numpy(X).reshape(-1, 1, 28, 28)
    y_all = torch.from_numpy(y)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    parameters = sum(p.numel() for p in model.parameters())
    assert parameters == 421642, parameters
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = args.batch
    slices = [(X_all[i:i + batch].contiguous(), y_all[i:i + batch].contiguous())
              for i in range(0, pool - batch + 1, batch)]
    cursor = [0]
    last_loss = [0.0]

    def run_steps(count):
        index = cursor[0]
        for _ in range(count):
            xb, yb = slices[index]
            index = (index + 1) % len(slices)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        cursor[0] = index
        last_loss[0] = loss.item()

    run_steps(args.warmup)  # allocator, oneDNN primitive cache, Adam state, thread pool
    median, timings = _common.median_seconds(lambda: run_steps(steps), warmup=0, repetitions=repetitions)
    value = batch * steps / median
    _common.emit(
        "torch", "cnn_step", round(value, 1), "examples/s",
        batch=batch, threads=args.threads, version=torch.__version__, optimizer="adam", parameters=parameters,
        steps=steps, repetitions=repetitions, step_ms=round(median / steps * 1e3, 4),
        samples=[round(batch * steps / t, 1) for t in timings],
        loss=round(last_loss[0], 4), data=source, dtype="float32", mkldnn=torch.backends.mkldnn.is_available(),
        quick=args.quick,
    )
    _common.log(f"torch cnn step threads={args.threads}: {value:,.0f} examples/s ({median / steps * 1e3:.2f} ms/step)")


if __name__ == "__main__":
    main()
