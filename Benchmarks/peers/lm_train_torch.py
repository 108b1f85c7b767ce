#!/usr/bin/env python3
"""torch peer: validation loss of a character LSTM language model after a wall-clock training budget.

The recipe of `circuits lm train` (Sources/CircuitsCLI/LMCommand.swift), in PyTorch: the text's sorted
distinct characters as the vocabulary, the last 10% held out; the training 90% cut into --batch-size
contiguous streams read --seq-length characters at a time, the hidden and cell states carried (detached)
from chunk to chunk and reset at each epoch; one-hot input → nn.LSTM(V, H, num_layers=L,
batch_first=True) → Linear(H, V) → CrossEntropyLoss (mean) → clip_grad_norm_(5) → Adam(lr 2e-3), float32.
Training stops when the training time (validation excluded, as ours) passes --budget seconds; the
figure is the validation loss then, in nats per character, read the same way (the held-out text as
streams, the state carried).

Text: tinyshakespeare (TINYSHAKESPEARE, default ../shared/data/tinyshakespeare.txt beside the
repository); exit 3 when it cannot be read.
"""

import os
import time

import _common

WORK = "lm_validation_after_budget"


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--budget", type=float, default=60.0, help="training seconds (default 60)")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-length", type=int, default=100)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--clip", type=float, default=5.0)
    args = _common.parse_args(parser)
    try:
        import torch
    except ImportError as error:
        _common.unavailable("torch", error)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "tinyshakespeare.txt")
    path = os.environ.get("TINYSHAKESPEARE", default)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        _common.unavailable(path, error)
    chars = sorted(set(text))
    vocab = len(chars)
    lookup = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([lookup[c] for c in text], dtype=torch.long)
    split = len(ids) - len(ids) // 10
    train, valid = ids[:split], ids[split:]

    def streams(data):
        batch = max(1, min(args.batch_size, (len(data) - 1) // 2))
        length = len(data) // batch
        return data[:batch * length].view(batch, length), length

    lstm = torch.nn.LSTM(vocab, args.hidden, num_layers=args.layers, batch_first=True)
    head = torch.nn.Linear(args.hidden, vocab)
    parameters = list(lstm.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run(chunk, state):
        x = torch.nn.functional.one_hot(chunk[:, :-1], vocab).float()
        out, state = lstm(x, state)
        scores = head(out.reshape(-1, args.hidden))
        return loss_fn(scores, chunk[:, 1:].reshape(-1)), state

    def validate():
        data, length = streams(valid)
        total, count, state = 0.0, 0, None
        with torch.no_grad():
            for start in range(0, length - 1, args.seq_length):
                chunk = data[:, start:min(start + args.seq_length, length - 1) + 1]
                loss, state = run(chunk, state)
                n = chunk.shape[0] * (chunk.shape[1] - 1)
                total += loss.item() * n
                count += n
        return total / count

    data, length = streams(train)
    trained, characters, epochs, done = 0.0, 0, 0, False
    while not done:
        state = None
        for start in range(0, length - 1, args.seq_length):
            begin = time.perf_counter()
            chunk = data[:, start:min(start + args.seq_length, length - 1) + 1]
            optimizer.zero_grad(set_to_none=True)
            loss, state = run(chunk, state)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, args.clip)
            optimizer.step()
            state = tuple(s.detach() for s in state)
            trained += time.perf_counter() - begin
            characters += chunk.shape[0] * (chunk.shape[1] - 1)
            if trained >= args.budget:
                done = True
                break
        epochs += 1
    value = validate()
    _common.emit(
        "torch", WORK, round(value, 5), "nats/char",
        budget_s=args.budget, trained_s=round(trained, 3), characters=characters, epochs_started=epochs,
        chars_per_s=round(characters / trained, 1), threads=args.threads, version=torch.__version__,
        model=f"lstm:{args.layers}x{args.hidden}", batch=args.batch_size, seq=args.seq_length, dtype="float32",
    )
    _common.log(f"torch LSTM LM: validation {value:.4f} nats/char after {trained:.1f} s ({characters / trained:,.0f} chars/s)")


if __name__ == "__main__":
    main()
