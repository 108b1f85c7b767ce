"""The original word2vec.c (Mikolov et al. 2013): one training run of the compiled binary, timed from
outside, as one JSON line.

The binary comes from scripts/word2vec-c-setup.sh (the PyPI sdist `word2vec` bundles the C source;
compiled with gcc -O3 -march=native -funroll-loops). The vocabulary is read from --vocab (-read-vocab)
so that the timed process does not count the corpus first; the figure is corpus words x iterations /
wall seconds of the whole process (reading the vocabulary and the corpus, training, writing the binary
vectors), where corpus words are the whitespace-separated tokens of the file, out-of-vocabulary words
included and line ends not -- the count the Swift suite uses for every tool. The tool's own
"Words/thread/sec" divides by CPU time summed over threads, so it is not used.

word2vec.c has no seed option: every run starts from the same initial vectors, and runs with more than
one thread differ only through the threads' timing.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import emit, log, make_parser, parse_args, unavailable  # noqa: E402


def main():
    parser = make_parser(__doc__.splitlines()[0])
    parser.add_argument("--binary", default=None, help="word2vec binary (default .build/word2vec-c/word2vec)")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--vocab", required=True, help="vocabulary file ('word count' lines) for -read-vocab")
    parser.add_argument("--out", default=None, help="where the vectors go (binary; default a temporary file)")
    parser.add_argument("--iter", type=int, default=5)
    parser.add_argument("--cbow", type=int, choices=(0, 1), default=0)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--min-count", type=int, default=5)
    args = parse_args(parser)
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    binary = args.binary or os.path.join(root, ".build", "word2vec-c", "word2vec")
    if not os.access(binary, os.X_OK):
        unavailable("word2vec.c", f"{binary} not built: run scripts/word2vec-c-setup.sh")
    with open(args.corpus, "rb") as f:
        corpus_words = sum(len(line.split()) for line in f)
    out = args.out or os.path.join(root, ".build", "word2vec", f"c-vectors-{os.getpid()}.bin")
    alpha = 0.05 if args.cbow else 0.025
    command = [binary, "-train", args.corpus, "-output", out, "-read-vocab", args.vocab,
               "-cbow", str(args.cbow), "-size", str(args.size), "-window", str(args.window),
               "-negative", str(args.negative), "-hs", "0", "-sample", str(args.sample),
               "-min-count", str(args.min_count), "-alpha", str(alpha), "-iter", str(args.iter),
               "-threads", str(args.threads), "-binary", "1"]
    log("word2vec.c: " + " ".join(command))
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        log(result.stderr.decode(errors="replace"))
        sys.exit(1)
    if not args.out:
        os.remove(out)
    cflags = open(os.path.join(os.path.dirname(binary), "cflags")).read().strip() \
        if os.path.exists(os.path.join(os.path.dirname(binary), "cflags")) else "?"
    emit("word2vec.c", "word2vec " + ("cbow" if args.cbow else "skip-gram"), corpus_words * args.iter / seconds,
         "words/s", threads=args.threads, iter=args.iter, seconds=round(seconds, 3), corpus_words=corpus_words,
         cflags=cflags, version=sdist_version(os.path.dirname(binary)))


def sdist_version(directory):
    """The sdist the binary was built from (word2vec-0.11.1.tar.gz -> "sdist 0.11.1")."""
    names = sorted(n for n in os.listdir(directory) if n.startswith("word2vec-") and n.endswith(".tar.gz"))
    return "sdist " + names[-1][len("word2vec-"):-len(".tar.gz")] if names else "?"


if __name__ == "__main__":
    main()
