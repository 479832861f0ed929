# snn-jax: every target bootstraps .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export SNN_JAX_DATA_DIR ?= $(abspath ../shared/data)
export PYTHONHASHSEED := 0
# With an NVIDIA driver present, jax comes with its CUDA plugin, so the same targets use the GPU.
EXTRAS ?= $(if $(shell command -v nvidia-smi 2>/dev/null),test$(COMMA)gpu,test)
COMMA := ,
# One test file per process (pytest-xdist), a process per logical CPU up to 4: compiling dominates.
PYTEST = $(PY) -m pytest -q -n logical --maxprocesses 4 --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help setup train test test-all sweep bench bench-pipeline bench-peers tables-quick tables front front-latency clean

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

## help: list the make targets (from their ## comments)
help:
	@sed -n 's/^## \([^:]*\): /\1\t/p' $(MAKEFILE_LIST) | expand -t 16

## setup: create .venv and install snn-jax with its test tools (pinned by constraints.txt; CUDA jax where nvidia-smi exists)
setup: $(VENV)/.installed

## train: train the default config (configs/digits.py, embedded data) into runs/digits
train: setup
	$(PY) -m experiments.train --config configs/digits.py --workdir runs/digits

## test: run the test suite without the slow end-to-end tests (a few minutes on 2 cores)
test: setup
	$(PYTEST) -m "not slow" tests

## test-all: the whole test suite, slow end-to-end tests included (what CI runs)
test-all: setup
	$(PYTEST) tests

## sweep: default penalty sweep on digits (6 lambda_excess x 2 seeds, one vmapped program) into runs/sweep
sweep: setup
	$(PY) -m experiments.sweep --config configs/digits.py --workdir runs/sweep \
		--sweep.lambda_excess=0,0.01,0.03,0.1,0.3,1 --sweep.seeds=0,1

## bench: throughput of a K=8 vmapped sweep vs 8 sequential runs (digits)
bench: setup
	$(PY) -m benchmarks.sweep_vs_sequential

## bench-pipeline: end-to-end training samples/s vs the bare jitted step (mnist_fc; device data and host batching)
bench-pipeline: setup
	$(PY) -m benchmarks.pipeline_throughput --config configs/mnist_fc.py

PEERS_VENV ?= .venv-peers
$(PEERS_VENV)/.installed: setup.cfg pyproject.toml constraints.txt benchmarks/requirements-peers.txt
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install -q --upgrade pip
	$(PEERS_VENV)/bin/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]' \
		-r benchmarks/requirements-peers.txt
	# SpikingJelly's declared needs (torchaudio, torchvision, tensorboard, ...) would pull other
	# torch builds; its activation_based modules run without them. Optional: skipped if it fails.
	-$(PEERS_VENV)/bin/python -m pip install -q --no-deps spikingjelly==2.0.0
	touch $@

## bench-peers: ms/step of snn-jax vs its floor, Spyx, snnTorch (SpikingJelly) in their own .venv-peers; PEERS_ARGS=--quick for a short run
bench-peers: $(PEERS_VENV)/.installed
	$(PEERS_VENV)/bin/python -m benchmarks.peers $(PEERS_ARGS)

## tables-quick: the experiment suite at reduced scale (MNIST + Fashion-MNIST, CPU) into results/quick and docs/RESULTS.md; resumable
tables-quick: setup
	$(PY) -m experiments.tables --config configs/tables_quick.py --workdir runs/tables_quick \
		--results results/quick --doc docs/RESULTS.md

## tables: the full-scale suite (GPU: more data, epochs, seeds, conv nets, CIFAR-10) into results/full and docs/RESULTS.md; resumable
tables: setup
	$(PY) -m experiments.tables --config configs/tables_full.py --workdir runs/tables_full \
		--results results/full --doc docs/RESULTS.md

## front: accuracy-vs-spikes fronts of the training recipes, MNIST and Fashion-MNIST FC, rate input, at full scale (GPU; configs/front_full.py) into results/full; resumable
front: setup
	$(PY) -m experiments.front --config configs/front_full.py --workdir runs/front --results results/full

## front-latency: the same fronts on latency (time-to-first-spike) input into results/full/front_latency; resumable
front-latency: setup
	$(PY) -m experiments.front --config configs/front_full.py:latency --workdir runs/front_latency \
		--results results/full/front_latency

## clean: remove .venv, runs/ and caches
clean:
	rm -rf $(VENV) runs .pytest_cache *.egg-info
