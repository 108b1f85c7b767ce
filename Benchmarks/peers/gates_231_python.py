#!/usr/bin/env python3
"""Plain-Python peer: examples/s of per-example SGD on the guide's 2-3-1 net, unrolled by hand.

The net: 2 inputs, 3 ReLU hidden neurons, 1 output score. Loss per example:
hinge max(0, 1 - label * score) plus 0.5 * (sum of squared weights, biases
excluded). The forward pass, the backward pass and the update of all 13
parameters are written out with plain floats (the guide's chapter 2 "what it
all boils down to" version), step size 0.01. One example = forward + backward
+ update. Data: the guide's six 2-D points.
"""

import _common


def train(params, order, count):
    """Runs `count` per-example SGD steps, cycling through `order`; returns the parameters."""
    a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4 = params
    points = _common.GUIDE_POINTS
    labels = _common.GUIDE_LABELS
    step = _common.GATES_STEP_SIZE
    length = len(order)
    for t in range(count):
        i = order[t % length]
        x, y = points[i]
        label = labels[i]

        # forward
        n1 = a1 * x + b1 * y + c1
        if n1 < 0.0:
            n1 = 0.0
        n2 = a2 * x + b2 * y + c2
        if n2 < 0.0:
            n2 = 0.0
        n3 = a3 * x + b3 * y + c3
        if n3 < 0.0:
            n3 = 0.0
        score = a4 * n1 + b4 * n2 + c4 * n3 + d4

        # d loss / d score of the hinge: -label inside the margin, 0 outside
        dscore = -label if label * score < 1.0 else 0.0

        # backward through the output neuron
        da4 = n1 * dscore
        db4 = n2 * dscore
        dc4 = n3 * dscore
        dd4 = dscore
        dn1 = a4 * dscore if n1 > 0.0 else 0.0
        dn2 = b4 * dscore if n2 > 0.0 else 0.0
        dn3 = c4 * dscore if n3 > 0.0 else 0.0

        # backward into the hidden neurons' parameters
        da1 = x * dn1
        db1 = y * dn1
        dc1 = dn1
        da2 = x * dn2
        db2 = y * dn2
        dc2 = dn2
        da3 = x * dn3
        db3 = y * dn3
        dc3 = dn3

        # L2 regularisation: gradient of 0.5 w^2 is w, on the weights only
        da1 += a1
        db1 += b1
        da2 += a2
        db2 += b2
        da3 += a3
        db3 += b3
        da4 += a4
        db4 += b4
        dc4 += c4

        # update
        a1 -= step * da1
        b1 -= step * db1
        c1 -= step * dc1
        a2 -= step * da2
        b2 -= step * db2
        c2 -= step * dc2
        a3 -= step * da3
        b3 -= step * db3
        c3 -= step * dc3
        a4 -= step * da4
        b4 -= step * db4
        c4 -= step * dc4
        d4 -= step * dd4
    return [a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4]


def main():
    parser = _common.make_parser(__doc__)
    parser.add_argument("--examples-per-rep", type=int, default=None,
                        help="examples per timed repetition (default 200000, quick 20000)")
    parser.add_argument("--repetitions", type=int, default=None,
                        help="timed repetitions, median reported (default 5, quick 3)")
    args = _common.parse_args(parser)
    per_rep = args.examples_per_rep or (20000 if args.quick else 200000)
    repetitions = args.repetitions or (3 if args.quick else 5)

    import platform

    order = _common.gates_example_order(args.seed)
    state = [_common.gates_initial_parameters(args.seed)]

    def run():
        state[0] = train(state[0], order, per_rep)

    median, timings = _common.median_seconds(run, warmup=1, repetitions=repetitions)
    value = per_rep / median
    _common.emit(
        "python", "gates_231_sgd", round(value, 1), "examples/s",
        batch=1, threads=args.threads, version=platform.python_version(),
        implementation=platform.python_implementation(),
        examples=per_rep, repetitions=repetitions, example_us=round(median / per_rep * 1e6, 4),
        min_s=round(timings[0], 6), max_s=round(timings[-1], 6),
        train_accuracy=_common.gates_accuracy(state[0]), data="guide-6-points", dtype="float64",
        quick=args.quick,
    )
    _common.log(f"plain python 2-3-1: {value:,.0f} examples/s ({median / per_rep * 1e6:.3f} us/example)")


if __name__ == "__main__":
    main()
