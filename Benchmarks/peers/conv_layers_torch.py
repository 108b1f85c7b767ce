#!/usr/bin/env python3
"""PyTorch peer: forward + backward time of the small CNN's conv and pooling layers on CPU.

The layers of conv3x3-32, relu, maxpool2, conv3x3-64, relu, maxpool2 at batch 64 on 28x28 images
(Fashion-MNIST sized), float32, NCHW:

  conv1  conv2d 1->32, 3x3, padding 1, on [64, 1, 28, 28]; the input needs no gradient (a first
         layer), so backward computes the weight and bias gradients only
  pool1  max_pool2d 2x2 on [64, 32, 28, 28]
  conv2  conv2d 32->64, 3x3, padding 1, on [64, 32, 14, 14]; input, weight and bias gradients
  pool2  max_pool2d 2x2 on [64, 64, 14, 14]

One timed call is: gradients set to None, y = op(x), y.backward(dy) with a fixed upstream gradient
dy — what one layer costs in a training step. Inputs are random normal (seeded). One JSON line per
op: value = median milliseconds per call over `--repetitions` samples of enough calls to last
`--sample-ms`; `forward_ms` is the forward alone, measured the same way.
"""

import _common

OPS = ("conv1", "pool1", "conv2", "pool2")


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--batch", type=int, default=64, help="images per batch (default 64)")
    parser.add_argument("--ops", default=",".join(OPS), help="comma-separated subset of " + ",".join(OPS))
    parser.add_argument("--repetitions", type=int, default=None, help="timed samples, median reported (default 7, quick 3)")
    parser.add_argument("--sample-ms", type=float, default=None, help="minimum length of one sample (default 150, quick 40)")
    args = _common.parse_args(parser)
    repetitions = args.repetitions or (3 if args.quick else 7)
    sample_seconds = (args.sample_ms or (40 if args.quick else 150)) / 1000
    ops = [op for op in args.ops.split(",") if op]
    for op in ops:
        if op not in OPS:
            parser.error(f"unknown op {op!r} (expected some of {','.join(OPS)})")

    try:
        import torch
        import torch.nn.functional as F
    except ImportError as error:
        _common.unavailable("torch", error)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    n = args.batch

    def conv(cin, cout, size, input_grad):
        x = torch.randn(n, cin, size, size, requires_grad=input_grad)
        w = (torch.randn(cout, cin, 3, 3) * 0.1).requires_grad_()
        b = torch.zeros(cout).requires_grad_()
        dy = torch.randn(n, cout, size, size)
        leaves = [x, w, b] if input_grad else [w, b]
        return (lambda: F.conv2d(x, w, b, padding=1)), dy, leaves

    def pool(c, size):
        x = torch.randn(n, c, size, size, requires_grad=True)
        dy = torch.randn(n, c, size // 2, size // 2)
        return (lambda: F.max_pool2d(x, 2)), dy, [x]

    builders = {
        "conv1": lambda: conv(1, 32, 28, False),
        "pool1": lambda: pool(32, 28),
        "conv2": lambda: conv(32, 64, 14, True),
        "pool2": lambda: pool(64, 14),
    }

    for op in ops:
        forward, dy, leaves = builders[op]()

        def step():
            for leaf in leaves:
                leaf.grad = None
            forward().backward(dy)

        def forward_only():
            with torch.no_grad():
                forward()

        results = {}
        for label, body in (("step", step), ("forward", forward_only)):
            for _ in range(3):
                body()  # warm-up: allocator, oneDNN primitive cache, thread pool
            # Calls per sample: enough for `sample_seconds`, at least 3.
            once, _ = _common.median_seconds(body, warmup=0, repetitions=3)
            calls = max(3, int(sample_seconds / max(once, 1e-6)) + 1)

            def sample():
                for _ in range(calls):
                    body()

            median, timings = _common.median_seconds(sample, warmup=0, repetitions=repetitions)
            results[label] = (median / calls, calls, timings)
        ms = results["step"][0] * 1e3
        _common.emit(
            "torch", op, round(ms, 4), "ms",
            batch=n, threads=args.threads, version=torch.__version__, forward_ms=round(results["forward"][0] * 1e3, 4),
            calls=results["step"][1], repetitions=repetitions,
            min_ms=round(results["step"][2][0] / results["step"][1] * 1e3, 4),
            max_ms=round(results["step"][2][-1] / results["step"][1] * 1e3, 4),
            mkldnn=torch.backends.mkldnn.is_available(), dtype="float32", quick=args.quick,
        )
        _common.log(f"torch {op} threads={args.threads}: {ms:.3f} ms forward+backward "
                    f"({results['forward'][0] * 1e3:.3f} ms forward)")


if __name__ == "__main__":
    main()
