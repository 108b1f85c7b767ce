#!/usr/bin/env python3
"""micrograd peer: examples/s of per-example SGD on the guide's 2-3-1 net with micrograd's Value.

Same net, loss, initialisation, data and example order as gates_231_python.py;
here every example builds a fresh expression graph of `Value`s, calls
`backward()` on the loss and updates the 13 parameters (step 0.01). One
example = forward (graph construction) + backward + update.
"""

import _common


def build(Value, seed):
    return [Value(v) for v in _common.gates_initial_parameters(seed)]


def train(params, order, count, offset=0):
    """Runs `count` per-example SGD steps with micrograd; updates `params` in place."""
    a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4 = params
    weights = (a1, b1, a2, b2, a3, b3, a4, b4, c4)
    points = _common.GUIDE_POINTS
    labels = _common.GUIDE_LABELS
    step = _common.GATES_STEP_SIZE
    length = len(order)
    for t in range(offset, offset + count):
        i = order[t % length]
        x, y = points[i]
        label = labels[i]

        n1 = (a1 * x + b1 * y + c1).relu()
        n2 = (a2 * x + b2 * y + c2).relu()
        n3 = (a3 * x + b3 * y + c3).relu()
        score = a4 * n1 + b4 * n2 + c4 * n3 + d4
        hinge = (1 - label * score).relu()
        regularization = 0.5 * sum(w ** 2 for w in weights)
        loss = hinge + regularization

        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= step * p.grad
    return offset + count


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--examples-per-rep", type=int, default=None,
                        help="examples per timed repetition (default 20000, quick 2000)")
    parser.add_argument("--repetitions", type=int, default=None,
                        help="timed repetitions, median reported (default 5, quick 3)")
    args = _common.parse_args(parser)
    per_rep = args.examples_per_rep or (2000 if args.quick else 20000)
    repetitions = args.repetitions or (3 if args.quick else 5)

    try:
        from micrograd.engine import Value
    except ImportError as error:
        _common.unavailable("micrograd", error)

    order = _common.gates_example_order(args.seed)
    params = build(Value, args.seed)
    cursor = [0]

    def run():
        cursor[0] = train(params, order, per_rep, cursor[0])

    median, timings = _common.median_seconds(run, warmup=1, repetitions=repetitions)
    value = per_rep / median
    _common.emit(
        "micrograd", "gates_231_sgd", round(value, 1), "examples/s",
        batch=1, threads=args.threads, version=_common.package_version("micrograd"),
        examples=per_rep, repetitions=repetitions, example_us=round(median / per_rep * 1e6, 4),
        min_s=round(timings[0], 6), max_s=round(timings[-1], 6),
        train_accuracy=_common.gates_accuracy([p.data for p in params]), data="guide-6-points",
        dtype="float64", quick=args.quick,
    )
    _common.log(f"micrograd 2-3-1: {value:,.0f} examples/s ({median / per_rep * 1e6:.3f} us/example)")


if __name__ == "__main__":
    main()
