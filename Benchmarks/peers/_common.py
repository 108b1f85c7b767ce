"""Shared helpers of the peer benchmark scripts.

This module must not import numpy or torch at import time: the scripts call
`parse_args` first, which sets the thread-count environment variables that
OpenBLAS / OpenMP read only once, when their library is loaded.

Output contract (see README.md): every measured figure is one JSON object on
one line of stdout, with at least the keys peer, name, value, unit, plus
context (batch, threads, version, ...). Progress and diagnostics go to stderr.
Exit status 3 means "this peer is not available here" (a package or the data
set is missing): the Swift suite skips it.
"""

import argparse
import gzip
import json
import os
import platform
import struct
import sys
import time

EXIT_UNAVAILABLE = 3

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"

_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def make_parser(description):
    """An argument parser with the options every peer script accepts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for BLAS / OpenMP / torch (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer steps and repetitions: a smoke run, not a measurement")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    return parser


def parse_args(parser, argv=None):
    """Parses the command line and pins the thread count in the environment.

    Call it before importing numpy, scikit-learn or torch.
    """
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(args.threads)
    return args


def parse_mlp_step_args(description, optimizers=("momentum",)):
    """The MLP-step scripts' shared options: returns (args, batch sizes, examples per repetition,
    repetitions), with the quick-mode defaults applied. `optimizers` are the update rules the script
    implements (--optimizer; the first is the default)."""
    parser = make_parser(description)
    parser.add_argument("--optimizer", choices=optimizers, default=optimizers[0],
                        help="momentum: SGD lr 0.05 momentum 0.9; adam: Adam lr 1e-3 (default %(default)s)")
    parser.add_argument("--batch", default="32,128,512",
                        help="comma-separated batch sizes (default 32,128,512)")
    parser.add_argument("--examples-per-rep", type=int, default=None,
                        help="examples per timed repetition (default 16384, quick 2048)")
    parser.add_argument("--repetitions", type=int, default=None,
                        help="timed repetitions, median reported (default 7, quick 3)")
    args = parse_args(parser)
    batches = [int(part) for part in args.batch.split(",") if part.strip()]
    if not batches or min(batches) < 1:
        parser.error("--batch needs positive sizes")
    per_rep = args.examples_per_rep or (2048 if args.quick else 16384)
    repetitions = args.repetitions or (3 if args.quick else 7)
    return args, batches, per_rep, repetitions


def log(*parts):
    """A progress line on stderr (stdout is reserved for the JSON figures)."""
    print(*parts, file=sys.stderr, flush=True)


def unavailable(what, error):
    """Reports a missing peer on stderr and exits with EXIT_UNAVAILABLE."""
    log(f"skipped: {what} is not available here ({error})")
    sys.exit(EXIT_UNAVAILABLE)


def package_version(distribution):
    """Installed version of a distribution, or None."""
    try:
        from importlib import metadata
        return metadata.version(distribution)
    except Exception:
        return None


def emit(peer, name, value, unit, **context):
    """Prints one figure as one JSON line on stdout."""
    record = {"peer": peer, "name": name, "value": value, "unit": unit}
    record.update(context)
    record.setdefault("python", platform.python_version())
    try:
        # 1-minute load average when the figure was taken: other work on the machine skews it.
        record.setdefault("load1", round(os.getloadavg()[0], 2))
    except OSError:
        pass
    print(json.dumps(record, sort_keys=False), flush=True)


# ---------------------------------------------------------------- timing

def median_seconds(body, warmup=1, repetitions=5):
    """Median wall-clock seconds of `body()` over `repetitions` runs after `warmup` untimed runs.

    Returns (median, all timings sorted).
    """
    for _ in range(warmup):
        body()
    timings = []
    for _ in range(repetitions):
        start = time.perf_counter()
        body()
        timings.append(time.perf_counter() - start)
    timings.sort()
    return timings[len(timings) // 2], timings


# ---------------------------------------------------------------- IDX files

# IDX type codes (third byte of the magic number) -> (numpy dtype string, item size)
_IDX_TYPES = {
    0x08: (">u1", 1),
    0x09: (">i1", 1),
    0x0B: (">i2", 2),
    0x0C: (">i4", 4),
    0x0D: (">f4", 4),
    0x0E: (">f8", 8),
}


def read_idx(path):
    """Reads an IDX file (gzip-compressed when its name ends with .gz) into a numpy array.

    Layout: two zero bytes, a type code, the number of dimensions, then one
    big-endian uint32 per dimension, then the data in row-major order.
    """
    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{path}: IDX file with no dimension")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(">" + "I" * ndim, raw[4:header])
    dtype, size = _IDX_TYPES[code]
    count = 1
    for extent in shape:
        count *= extent
    if len(raw) - header != count * size:
        raise ValueError(f"{path}: expected {count * size} data bytes for shape {shape}, "
                         f"found {len(raw) - header}")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.reshape(shape).astype(data.dtype.newbyteorder("="), copy=False)


def data_dir():
    """Directory of the Fashion-MNIST IDX files (override with FASHION_MNIST_DIR)."""
    return os.environ.get("FASHION_MNIST_DIR", DEFAULT_DATA_DIR)


def load_fashion_mnist(split):
    """Fashion-MNIST images as float32 rows scaled to [0, 1] and labels as int64.

    `split` is "train" or "t10k". Returns (X, y) or raises OSError / ValueError.
    """
    import numpy as np

    directory = data_dir()
    images = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{directory}: inconsistent {split} images {images.shape} / labels {labels.shape}")
    X = images.reshape(images.shape[0], -1).astype(np.float32)
    X *= np.float32(1.0 / 255.0)
    return X, labels.astype(np.int64)


def training_data_or_random(count, features=784, classes=10, seed=0):
    """The first `count` Fashion-MNIST training examples, or random ones when the file is unreadable.

    Returns (X float32 [count, features], y int64 [count], source name).
    """
    import numpy as np

    try:
        X, y = load_fashion_mnist("train")
        if features == X.shape[1] and count <= X.shape[0]:
            return X[:count].copy(), y[:count].copy(), "fashion-mnist"
    except (OSError, ValueError) as error:
        log(f"Fashion-MNIST not readable ({error}); using random data")
    rng = np.random.default_rng(seed)
    X = rng.random((count, features), dtype=np.float32)
    y = rng.integers(0, classes, size=count, dtype=np.int64)
    return X, y, "random"


# ---------------------------------------------------------------- the guide's 2-3-1 net

# The six 2-D points and labels of the guide's chapter 2 SVM / neural-net examples.
GUIDE_POINTS = [(1.2, 0.7), (-0.3, -0.5), (3.0, 0.1), (-0.1, -1.0), (-1.0, 1.1), (2.1, -3.0)]
GUIDE_LABELS = [1, -1, 1, -1, -1, 1]

# Parameter order of the 2-3-1 net: hidden neuron k computes max(0, a_k x + b_k y + c_k),
# the score is a4 n1 + b4 n2 + c4 n3 + d4.
GATES_PARAMETERS = ("a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3", "a4", "b4", "c4", "d4")
GATES_STEP_SIZE = 0.01


def gates_initial_parameters(seed):
    """The guide's initialisation: every parameter uniform in [-0.5, 0.5), seeded."""
    import random

    rng = random.Random(seed)
    return [rng.random() - 0.5 for _ in GATES_PARAMETERS]


def gates_example_order(seed, length=4096):
    """A seeded sequence of example indices (per-example SGD picks a random point each step)."""
    import random

    rng = random.Random(seed + 1)
    return [rng.randrange(len(GUIDE_POINTS)) for _ in range(length)]


def gates_accuracy(params):
    """Fraction of the six points on the right side of the 2-3-1 net's decision boundary."""
    a1, b1, c1, a2, b2, c2, a3, b3, c3, a4, b4, c4, d4 = params
    right = 0
    for (x, y), label in zip(GUIDE_POINTS, GUIDE_LABELS):
        n1 = max(0.0, a1 * x + b1 * y + c1)
        n2 = max(0.0, a2 * x + b2 * y + c2)
        n3 = max(0.0, a3 * x + b3 * y + c3)
        score = a4 * n1 + b4 * n2 + c4 * n3 + d4
        right += (score > 0) == (label > 0)
    return right / len(GUIDE_POINTS)
