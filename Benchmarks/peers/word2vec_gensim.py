"""word2vec in gensim (its Cython skip-gram / CBOW): one training run, timed, as one JSON line.

Vocabulary building is not timed (`build_vocab` is pure Python and slow); the figure is
corpus words x iterations / seconds of `model.train(...)`, where corpus words are the
whitespace-separated tokens of the file (out-of-vocabulary words included, line ends not) -- the
same count the Swift suite uses for every tool. gensim's own `raw_words` (returned by `train`) is
reported beside it as a check that it counts the same thing.

Modes: `corpus_file` (each worker reads its own part of the file, no GIL: gensim's fastest) and
`iterable` (a LineSentence stream fed to the workers by a producer thread: gensim's usual API).
One line of the file is one sentence in both (gensim cuts sentences at 10,000 words).

With --save FILE the vectors are written in word2vec's binary format (for the quality runs and
the format check in word2vec_load_check.py).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import emit, log, make_parser, package_version, parse_args, unavailable  # noqa: E402


def main():
    parser = make_parser(__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="text8-style corpus, one sentence per line")
    parser.add_argument("--iter", type=int, default=5)
    parser.add_argument("--cbow", type=int, choices=(0, 1), default=0)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--mode", choices=("corpus_file", "iterable"), default="corpus_file")
    parser.add_argument("--save", help="write the vectors here (word2vec binary format)")
    args = parse_args(parser)
    try:
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence
        from gensim.models.word2vec_inner import FAST_VERSION
    except ImportError as error:
        unavailable("gensim", error)
    if FAST_VERSION < 0:
        unavailable("gensim's compiled word2vec", "FAST_VERSION < 0")

    with open(args.corpus, "rb") as f:
        corpus_words = sum(len(line.split()) for line in f)
    alpha = 0.05 if args.cbow else 0.025
    model = Word2Vec(vector_size=args.size, window=args.window, negative=args.negative, hs=0,
                     sg=0 if args.cbow else 1, cbow_mean=1, sample=args.sample, min_count=args.min_count,
                     alpha=alpha, min_alpha=alpha * 1e-4, workers=args.threads, epochs=args.iter,
                     seed=args.seed + 1)
    source = {"corpus_file": args.corpus} if args.mode == "corpus_file" else {"corpus_iterable": LineSentence(args.corpus)}
    start = time.perf_counter()
    model.build_vocab(**source)
    vocabulary_seconds = time.perf_counter() - start
    log(f"gensim: vocabulary {len(model.wv)} words in {vocabulary_seconds:.1f} s; training {args.iter} iterations, "
        f"{args.threads} workers, {args.mode}")
    start = time.perf_counter()
    if args.mode == "corpus_file":
        effective, raw = model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                                     epochs=args.iter, total_examples=model.corpus_count)
    else:
        effective, raw = model.train(LineSentence(args.corpus), total_examples=model.corpus_count, epochs=args.iter)
    seconds = time.perf_counter() - start
    if args.save:
        model.wv.save_word2vec_format(args.save, binary=True)
    emit("gensim", "word2vec " + ("cbow" if args.cbow else "skip-gram"), corpus_words * args.iter / seconds, "words/s",
         threads=args.threads, iter=args.iter, mode=args.mode, seconds=round(seconds, 3),
         corpus_words=corpus_words, gensim_raw_words=raw, gensim_effective_words=effective,
         vocabulary=len(model.wv), vocabulary_seconds=round(vocabulary_seconds, 2), seed=args.seed,
         version=package_version("gensim"))


if __name__ == "__main__":
    main()
