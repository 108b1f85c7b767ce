#!/usr/bin/env python3
"""Quality of word vectors on the word2vec corpus: ours against word2vec.c (and optionally gensim), same
corpus and settings (skip-gram, negative 5, window 5, size 100, sample 1e-3, min-count 5, 5 iterations,
2 threads), several runs per side, every vector file scored by the same `circuits word2vec eval`:
Mikolov's questions-words.txt (accuracy over the 30,000 most frequent words) and WordSim-353 (Spearman
rho). Prints one line per run and a summary with each side's median and spread (min-max).

word2vec.c has no seed option: its runs differ through the timing of its two Hogwild threads. Ours and
gensim's take --seed 1, 2, 3, ... (and race too at 2 threads).

Usage: word2vec_quality.py [--runs 3] [--gensim-runs 0] [--iter 5] [--threads 2] [--cbow 0]
Needs: make word2vec-corpus, scripts/word2vec-c-setup.sh, the circuits release build, and gensim's test
files (questions-words.txt, wordsim353.tsv) from the peers venv. Standard library only.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def run(command, **kwargs):
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr}")
    return result.stdout, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gensim-runs", type=int, default=0)
    parser.add_argument("--iter", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cbow", type=int, choices=(0, 1), default=0)
    parser.add_argument("--corpus", default=os.path.join(ROOT, ".build/word2vec/corpus.txt"))
    args = parser.parse_args()
    venv = os.environ.get("PEERS_VENV", os.path.join(ROOT, ".build/peers-venv"))
    data = glob.glob(os.path.join(venv, "lib/python*/site-packages/gensim/test/test_data"))
    if not data:
        sys.exit(f"gensim's test data not found under {venv}")
    questions = os.path.join(data[0], "questions-words.txt")
    wordsim = os.path.join(data[0], "wordsim353.tsv")
    circuits = os.path.join(ROOT, ".build/release/circuits")
    c_tool = os.path.join(ROOT, ".build/word2vec-c/word2vec")
    work = os.path.join(ROOT, ".build/word2vec")
    vocab = os.path.join(work, "quality-vocab.txt")
    alpha = "0.05" if args.cbow else "0.025"

    def evaluate(path):
        out, _ = run([circuits, "word2vec", "eval", "--vectors", path, "--analogies", questions,
                      "--similarity", wordsim, "--json"])
        summary = json.loads(out.strip().splitlines()[-1])
        return summary["analogyAccuracy"] * 100, summary["spearman"], summary["analogyCoverage"], summary["similarityCoverage"]

    results = {"circuits": [], "word2vec.c": [], "gensim": []}
    for k in range(max(args.runs, args.gensim_runs)):
        if k < args.runs:
            path = os.path.join(work, f"quality-ours-{k + 1}.bin")
            command = [circuits, "word2vec", "train", "--text", args.corpus, "--out", path, "--cbow", str(args.cbow),
                       "--iter", str(args.iter), "--threads", str(args.threads), "--seed", str(k + 1), "--json"]
            if k == 0:
                command += ["--save-vocab", vocab]
            _, seconds = run(command)
            results["circuits"].append(evaluate(path) + (seconds,))
            print("circuits    run", k + 1, "analogies %.2f%%  rho %.4f  (coverage %.1f%% / %.1f%%)  %.0f s" % (
                results["circuits"][-1][0], results["circuits"][-1][1], 100 * results["circuits"][-1][2],
                100 * results["circuits"][-1][3], seconds), flush=True)
            path = os.path.join(work, f"quality-c-{k + 1}.bin")
            _, seconds = run([c_tool, "-train", args.corpus, "-output", path, "-read-vocab", vocab, "-cbow", str(args.cbow),
                              "-size", "100", "-window", "5", "-negative", "5", "-hs", "0", "-sample", "1e-3",
                              "-min-count", "5", "-alpha", alpha, "-iter", str(args.iter), "-threads", str(args.threads),
                              "-binary", "1"])
            results["word2vec.c"].append(evaluate(path) + (seconds,))
            print("word2vec.c  run", k + 1, "analogies %.2f%%  rho %.4f  (coverage %.1f%% / %.1f%%)  %.0f s" % (
                results["word2vec.c"][-1][0], results["word2vec.c"][-1][1], 100 * results["word2vec.c"][-1][2],
                100 * results["word2vec.c"][-1][3], seconds), flush=True)
        if k < args.gensim_runs:
            path = os.path.join(work, f"quality-gensim-{k + 1}.bin")
            _, seconds = run([os.path.join(venv, "bin/python"), os.path.join(ROOT, "Benchmarks/peers/word2vec_gensim.py"),
                              "--corpus", args.corpus, "--iter", str(args.iter), "--threads", str(args.threads),
                              "--cbow", str(args.cbow), "--seed", str(k), "--save", path])
            results["gensim"].append(evaluate(path) + (seconds,))
            print("gensim      run", k + 1, "analogies %.2f%%  rho %.4f  %.0f s" % (
                results["gensim"][-1][0], results["gensim"][-1][1], seconds), flush=True)
    print()
    print("settings: %s, size 100, window 5, negative 5, sample 1e-3, min-count 5, %d iterations, %d threads; corpus %s" % (
        "cbow" if args.cbow else "skip-gram", args.iter, args.threads, args.corpus))
    for side, rows in results.items():
        if not rows:
            continue
        acc = [r[0] for r in rows]
        rho = [r[1] for r in rows]
        print("%-11s analogies median %.2f%% (%.2f-%.2f)  rho median %.4f (%.4f-%.4f)  %d runs" % (
            side, statistics.median(acc), min(acc), max(acc), statistics.median(rho), min(rho), max(rho), len(rows)))
    if results["circuits"] and results["word2vec.c"]:
        d_acc = statistics.median(r[0] for r in results["circuits"]) - statistics.median(r[0] for r in results["word2vec.c"])
        d_rho = statistics.median(r[1] for r in results["circuits"]) - statistics.median(r[1] for r in results["word2vec.c"])
        ok = abs(d_acc) <= 1.5 and abs(d_rho) <= 0.03
        print("circuits - word2vec.c: analogies %+.2f points, rho %+.4f -> %s (target: within 1.5 points / 0.03)" % (
            d_acc, d_rho, "met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
