#!/usr/bin/env python3
"""PyTorch peer: examples/s of one training step of a 784-256-10 MLP on CPU.

Step = forward (Linear, ReLU, Linear), CrossEntropyLoss, backward, SGD with
momentum 0.9 and lr 0.05 (or, with --optimizer adam, Adam with lr 1e-3 and
torch's defaults otherwise); float32. Batches are cut from Fashion-MNIST training
images (random data when the file cannot be read) before timing, and the timed
loop cycles through them. One JSON line per batch size.
"""

import _common

WORK = "mlp_step_784_256_10"


def main():
    args, batches, per_rep, repetitions = _common.parse_mlp_step_args(__doc__, optimizers=("momentum", "adam"))

    try:
        import torch
    except ImportError as error:
        _common.unavailable("torch", error)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    pool = max(max(batches) * 8, 4096)
    X, y, source = _common.training_data_or_random(pool, seed=args.seed)
    X_all = torch.from_numpy(X)
    y_all = torch.from_numpy(y)

    for batch in batches:
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 10),
        )
        loss_fn = torch.nn.CrossEntropyLoss()
        if args.optimizer == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

        # Pre-sliced contiguous batches: no data handling inside the timed loop.
        slices = [(X_all[i:i + batch].contiguous(), y_all[i:i + batch].contiguous())
                  for i in range(0, pool - batch + 1, batch)]
        steps = max(10, per_rep // batch)
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

        run_steps(20 if args.quick else 50)  # warm-up: allocator, momentum buffers, thread pool
        median, timings = _common.median_seconds(lambda: run_steps(steps), warmup=0,
                                                 repetitions=repetitions)
        value = batch * steps / median
        _common.emit(
            "torch", WORK, round(value, 1), "examples/s",
            batch=batch, threads=args.threads, version=torch.__version__, optimizer=args.optimizer,
            steps=steps, repetitions=repetitions, step_ms=round(median / steps * 1e3, 4),
            min_s=round(timings[0], 6), max_s=round(timings[-1], 6),
            loss=round(last_loss[0], 4), data=source, dtype="float32", quick=args.quick,
        )
        _common.log(f"torch batch {batch}: {value:,.0f} examples/s ({median / steps * 1e3:.3f} ms/step)")


if __name__ == "__main__":
    main()
