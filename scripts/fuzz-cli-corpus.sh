#!/usr/bin/env bash
# Writes the model files and the seed corpus of the `cli` fuzz target (Fuzz/cli: predict and eval on a
# model and a data file). The models are trained by the release `circuits` on the real-file cases the
# tests use (Tests/RealFiles), plus the format-1 fixture of the tests; each seed is framed as
# CommandFuzzing (Sources/CircuitsCLI/CommandFuzzing.swift) reads it: flags byte, model byte, data.
#
#   swift build -c release --product circuits && bash scripts/fuzz-cli-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
circuits=.build/release/circuits
real=Tests/RealFiles
models=Fuzz/cli/models
corpus=Fuzz/cli/corpus
rm -rf "$models" "$corpus"
mkdir -p "$models" "$corpus"
export OPENBLAS_NUM_THREADS=1

train() { local name=$1; shift; "$circuits" train "$@" --out "$models/$name.safetensors" > /dev/null 2>&1; }
train columns --data $real/columns_y_a_b.csv --label-column y --model linear --standardize --epochs 5
train libsvm --data $real/libsvm_train_5_features.svm --model linear --epochs 5
train npy-pca --data $real/X_clean.npy --model mlp:4 --pca 2 --epochs 3
train idx --data $real/labels_from_1-images-idx3-ubyte --model linear --epochs 3
train logistic --data $real/two_classes_train.csv --loss logistic --model linear --epochs 3
train regression --data $real/unit_scale.csv --loss mse --model linear --epochs 3
train layers --data toy:spirals --model "dense:4,tanh,dropout:0.1" --epochs 2
cp Tests/CircuitsCLITests/Fixtures/format1-spirals.safetensors "$models/format1.safetensors"
# Sorted, as the entry lists them: the model byte of each seed below indexes this order.
index() { ls "$models" | sort | grep -n "^$1.safetensors$" | cut -d: -f1 | awk '{ print $1 - 1 }'; }

byte() { printf "\\x$(printf %02x "$1")"; }
length() { byte $(( $1 & 255 )); byte $(( $1 >> 8 )); }
# seed NAME FLAGS MODEL-INDEX < data
seed() { { byte "$2"; byte "$3"; cat; } > "$corpus/$1"; }
head() { command head -n "$2" "$1"; }

# flags: bit 0 eval, bit 1 --proba, bit 2 --nan drop, bits 3-4 header, bits 5-7 format (0 csv, 1 svm, 2 npy, 3 idx).
head $real/columns_b_a_y.csv 40 | seed predict-columns-swapped 0 "$(index columns)"
head $real/columns_y_a_b.csv 40 | seed eval-columns 1 "$(index columns)"
printf 'b,a\n1,2\n-1,0.5\n' | seed predict-columns-unlabelled 2 "$(index columns)"
head $real/libsvm_test_highest_index_unused.svm 20 | seed eval-libsvm $(( 1 << 5 | 1 )) "$(index libsvm)"
{ length "$(stat -c %s $real/X_test_nan_inf.npy)"; cat $real/X_test_nan_inf.npy; } | seed predict-npy-nan-drop $(( 2 << 5 | 4 | 2 )) "$(index npy-pca)"
{ length "$(stat -c %s $real/X_test_nan_inf.npy)"; cat $real/X_test_nan_inf.npy $real/y_test_nan_inf.npy; } | seed eval-npy-nan-drop $(( 2 << 5 | 4 | 1 )) "$(index npy-pca)"
{ length 1000; command head -c 1000 $real/labels_from_1-images-idx3-ubyte; } | seed predict-idx-truncated $(( 3 << 5 )) "$(index idx)"
head $real/two_classes_train.csv 30 | seed predict-logistic-proba 2 "$(index logistic)"
head $real/unit_scale.csv 30 | seed eval-regression 1 "$(index regression)"
printf '0.1,0.2\n-0.3,0.5\nnan,1\n' | seed predict-layers 6 "$(index layers)"
printf '0.1,0.2\n-0.3,0.5\n' | seed predict-format1 2 "$(index format1)"
{ length "$(stat -c %s "$models/columns.safetensors")"; cat "$models/columns.safetensors"; printf 'a,b\n1,2\n'; } | seed predict-inline-model 0 240
ls -l "$models" "$corpus"
