#!/usr/bin/env python3
"""PyTorch peer: characters/s of a character-level LSTM language model's training step on CPU.

Step: one-hot input [64, 100, 65] → nn.LSTM(65, 256, num_layers=2, batch_first=True) → Linear(256, 65)
→ CrossEntropyLoss (mean over the 6400 predictions) → backward → Adam (lr 2e-3), float32. The hidden
and cell states are carried from step to step, detached (truncated backpropagation through time over
chunks of 100). Characters/s = 64 · 100 / step time.

Batches: the text is cut into 64 streams; batch b holds characters [100·b, 100·b + 101) of every
stream (inputs and next-character targets). Eight batches are built before timing, one-hot encoded, and
cycled. Text: tinyshakespeare (TINYSHAKESPEARE, default ../shared/data/tinyshakespeare.txt beside the
repository), or random characters when the file cannot be read.
"""

import os

import _common

WORK = "lstm_lm_step_65_256x2"
BATCH, STEPS, HIDDEN, LAYERS = 64, 100, 256, 2


def text_or_random(seed):
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "tinyshakespeare.txt")
    path = os.environ.get("TINYSHAKESPEARE", default)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), "tinyshakespeare"
    except OSError as error:
        _common.log(f"{path} not readable ({error}); using random characters")
        import random
        rng = random.Random(seed)
        return "".join(chr(32 + rng.randrange(65)) for _ in range(200000)), "random"


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--steps-per-rep", type=int, default=None, help="training steps per timed repetition (default 3, quick 1)")
    parser.add_argument("--repetitions", type=int, default=None, help="timed repetitions, median reported (default 5, quick 3)")
    args = _common.parse_args(parser)
    try:
        import torch
    except ImportError as error:
        _common.unavailable("torch", error)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    steps = args.steps_per_rep or (1 if args.quick else 3)
    repetitions = args.repetitions or (3 if args.quick else 5)

    text, source = text_or_random(args.seed)
    chars = sorted(set(text))
    vocab = len(chars)
    lookup = {c: i for i, c in enumerate(chars)}
    encoded = torch.tensor([lookup[c] for c in text], dtype=torch.long)
    stream = len(encoded) // BATCH
    streams = encoded[:stream * BATCH].view(BATCH, stream)
    batches = []
    for b in range(8):
        chunk = streams[:, b * STEPS:b * STEPS + STEPS + 1]
        x = torch.nn.functional.one_hot(chunk[:, :-1], vocab).float().contiguous()
        y = chunk[:, 1:].contiguous().view(-1)
        batches.append((x, y))

    lstm = torch.nn.LSTM(vocab, HIDDEN, num_layers=LAYERS, batch_first=True)
    head = torch.nn.Linear(HIDDEN, vocab)
    parameters = list(lstm.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    state = {"h": torch.zeros(LAYERS, BATCH, HIDDEN), "c": torch.zeros(LAYERS, BATCH, HIDDEN), "cursor": 0, "loss": 0.0}

    def run_steps(count):
        h, c, cursor = state["h"], state["c"], state["cursor"]
        for _ in range(count):
            x, y = batches[cursor]
            cursor = (cursor + 1) % len(batches)
            optimizer.zero_grad(set_to_none=True)
            out, (h, c) = lstm(x, (h, c))
            loss = loss_fn(head(out.reshape(-1, HIDDEN)), y)
            loss.backward()
            optimizer.step()
            h, c = h.detach(), c.detach()
        state.update(h=h, c=c, cursor=cursor, loss=loss.item())

    run_steps(2)  # warm-up: allocator, Adam state, thread pool
    median, timings = _common.median_seconds(lambda: run_steps(steps), warmup=0, repetitions=repetitions)
    value = BATCH * STEPS * steps / median
    _common.emit(
        "torch", WORK, round(value, 1), "chars/s",
        batch=BATCH, seq=STEPS, threads=args.threads, version=torch.__version__, steps=steps,
        repetitions=repetitions, step_ms=round(median / steps * 1e3, 3), min_s=round(timings[0], 6),
        max_s=round(timings[-1], 6), loss=round(state["loss"], 4), data=source, dtype="float32",
        mkldnn=bool(torch.backends.mkldnn.is_available()), quick=args.quick,
    )
    _common.log(f"torch LSTM LM step: {value:,.0f} chars/s ({median / steps * 1e3:.1f} ms per step of {BATCH}×{STEPS})")


if __name__ == "__main__":
    main()
