"""gensim reads vectors written by `circuits word2vec train`: KeyedVectors.load_word2vec_format on our
binary or text file, the vectors of a few words printed (for the Swift suite to compare with its own
reading of the same file), and gensim's own evaluation of the file -- evaluate_word_analogies over the
30,000 most frequent words and evaluate_word_pairs on WordSim-353 -- to check `circuits word2vec eval`.
One JSON line on stdout.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import emit, make_parser, package_version, parse_args, unavailable  # noqa: E402


def main():
    parser = make_parser(__doc__.splitlines()[0])
    parser.add_argument("--vectors", required=True)
    parser.add_argument("--binary", type=int, choices=(0, 1), default=1)
    parser.add_argument("--words", default="the,of,king", help="comma-separated words whose vectors are printed")
    parser.add_argument("--evaluate", action="store_true", help="also run gensim's analogy and WordSim-353 evaluation")
    args = parse_args(parser)
    try:
        import gensim
        from gensim.models import KeyedVectors
        from gensim.test.utils import datapath
    except ImportError as error:
        unavailable("gensim", error)
    kv = KeyedVectors.load_word2vec_format(args.vectors, binary=bool(args.binary))
    sample = {w: [float(x) for x in kv[w]] for w in args.words.split(",") if w in kv.key_to_index}
    context = {"words": len(kv.index_to_key), "size": kv.vector_size, "first_word": kv.index_to_key[0], "sample": sample,
               "binary": bool(args.binary)}
    if args.evaluate:
        accuracy, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
        pearson, spearman, oov = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
        context.update(analogy_accuracy=accuracy, spearman=spearman.statistic if hasattr(spearman, "statistic") else spearman[0],
                       wordsim_oov_percent=oov)
    emit("gensim", "load_word2vec_format", len(sample), "words compared", version=package_version("gensim"), **context)


if __name__ == "__main__":
    main()
