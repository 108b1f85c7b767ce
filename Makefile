# Circuits — the two commands are `make run` (train the default MLP on Fashion-MNIST) and `make test`.
SWIFT ?= swift
RELEASE := -c release
# Tests run in release with testability on: the numeric tests are slow in debug builds.
TEST_FLAGS := $(RELEASE) -Xswiftc -enable-testing
APT_PACKAGES := libopenblas-dev liblapacke-dev zlib1g-dev pkg-config dataset-fashion-mnist libopenmpi-dev openmpi-bin libfftw3-dev

.PHONY: setup build test run bench bench-peers bench-tsne docs fuzz fuzz-smoke report-check tsne-check setup-mpi clean word2vec-corpus bench-word2vec bench-cnn-accuracy

setup:
	@bash scripts/apt-ensure.sh $(APT_PACKAGES)

build: setup
	$(SWIFT) build $(RELEASE)

test: setup fuzz-smoke
	$(SWIFT) build $(RELEASE) --product circuits
	# Serial: some tests set the process-wide BLAS thread count or measure peak memory.
	$(SWIFT) test $(TEST_FLAGS) --no-parallel

run: setup
	$(SWIFT) build $(RELEASE) --product circuits
	.build/release/circuits train --data /usr/share/datasets/fashion-mnist --out model.safetensors --report report.html

bench: setup
	$(SWIFT) build $(RELEASE) --product CircuitsBench
	.build/release/CircuitsBench --suite all

bench-peers: setup
	bash scripts/bench-peers-setup.sh

# word2vec (issue 16): the corpus from Debian packages, then speed against word2vec.c and gensim and
# quality against word2vec.c (about 25 minutes of exclusive CPU on 2 cores).
word2vec-corpus:
	bash scripts/word2vec-corpus.sh

bench-word2vec: setup word2vec-corpus
	bash scripts/bench-peers-setup.sh
	bash scripts/word2vec-c-setup.sh
	$(SWIFT) build $(RELEASE) --product circuits
	$(SWIFT) build $(RELEASE) --product CircuitsBench
	.build/release/CircuitsBench --suite word2vec
	python3 scripts/word2vec_quality.py --runs 3

# t-SNE against scikit-learn and openTSNE on Fashion-MNIST (10k and 70k points): about 25 minutes.
bench-tsne: setup bench-peers
	$(SWIFT) build $(RELEASE) --product circuits
	$(SWIFT) build $(RELEASE) --product CircuitsBench
	.build/release/CircuitsBench --suite tsne --threads 2

# Time to 92% Fashion-MNIST test accuracy with the cnn preset against PyTorch (issue 14): about 10 minutes.
bench-cnn-accuracy: setup bench-peers
	$(SWIFT) build $(RELEASE) --product CircuitsBench
	.build/release/CircuitsBench --suite cnn-accuracy --threads 2

docs: setup
	bash scripts/docs.sh

fuzz: setup
	bash scripts/fuzz.sh

# A few thousand inputs per fuzz target (seconds each), so the fuzz build cannot silently break again;
# compiled modules are cached in .build/fuzz, so a second run compiles nothing.
fuzz-smoke: setup
	bash scripts/fuzz.sh --smoke

report-check: setup
	bash scripts/report-check.sh

tsne-check: setup
	bash scripts/tsne-check.sh

setup-mpi:
	@bash scripts/apt-ensure.sh libopenmpi-dev openmpi-bin

clean:
	rm -rf .build
