r"""Accuracy-vs-spikes fronts at full scale, MNIST and Fashion-MNIST FC (make front).

  python -m experiments.front --config configs/front_full.py --workdir runs/front \
      --results results/full

784-256x4-10 MLP, rate input T = 20, batch 128, all 60k/10k images, 20 epochs (two-phase:
10 + 10), seeds 0, 1, 2; checkpoints only at the phase boundary and the end. Recipes:
  no_penalty_cosine  one phase, warm-up 1 epoch then cosine to 0 (the strong baseline)
  excess             the paper's excess penalty, no silence term, in two phases (_2phase) or
                     from step 0 (_1phase); lambda 0 = no penalty at a constant learning rate
  all_spike_2phase   every spike costs, two phases, no silence term
  sparse             configs/*_fc_sparse.py (our recipe)
  sparse_wide        configs/*_fc_sparse_wide.py (the recipe on 784-1024x4-10; on MNIST with
                     random shifts of up to 2 pixels)
  sparse_fixed_neuron
                     latency input only: the sparse recipe with leak and threshold fixed and
                     a phase-2 cosine decay (configs/mnist_fc_sparse_latency.py)
  sparse_shift_fixed_neuron
                     latency input only: configs/*_fc_sparse_latency_shift.py (784-256x4-10,
                     leak and threshold fixed, a phase-2 cosine decay, random shifts; MNIST
                     shifts of 2 pixels and a 20-epoch phase 2, Fashion-MNIST shifts of 1
                     and pixels down to 0.05 encoded)
  sparse_wide_fixed_neuron
                     latency input only: configs/*_fc_sparse_latency_wide.py (the same on
                     784-512x4-10)
These two keep their configs' phase-2 length, and their configs' lambdas are among the swept.
102 runs. The first 90 on one H100 (jax 0.11.2), two panels at a time, about 6 minutes of
training in all; sparse_wide on one H200 (jax 0.11.2), 140 s per panel.
Measured there (mean over 3 seeds; results/full/front.md, docs/RESULTS.md): MNIST sparse
lambda 0.03 97.21% at 0.341 spikes/neuron with no silent neuron, against the paper's penalty
at the same lambda 96.89% at 0.364 with 4.4% silent; no penalty (cosine) 98.37% at 5.30;
sparse_wide 98.41% at 0.288 with 0.2% silent.
The argument picks the input encoding (default rate). With latency input (make front-latency,
panels mnist_latency and fashion_mnist_latency, LeCun init as for rate):
  python -m experiments.front --config configs/front_full.py:latency \
      --workdir runs/front_latency --results results/full/front_latency
Not run as a whole yet; the paper's excess penalty and the sparse recipe at a few lambdas, 1-3
seeds on the 2-core CPU, are in docs/RESULTS.md ("Latency input at full scale"). Its first
piece, mnist_latency/no_penalty_cosine (the command below with that --config.only; 151 s
per seed on the AMD CPU): 97.62 +- 0.01% at 4.05 spikes/neuron, 0.1% silent.
A front can be drawn in pieces, each adding its members to <results>/front.json, e.g. one
recipe on a CPU, one member per program:
  python -m experiments.front --config configs/front_full.py:latency \
      --workdir runs/front_latency --results results/full/front_latency \
      --config.only="('mnist_latency/sparse_shift_fixed_neuron',)" --config.chunk=1
"""
import ml_collections

from configs import base
from configs import fmnist_fc
from configs import fmnist_fc_sparse
from configs import fmnist_fc_sparse_latency_shift
from configs import fmnist_fc_sparse_latency_wide
from configs import fmnist_fc_sparse_wide
from configs import mnist_fc
from configs import mnist_fc_sparse
from configs import mnist_fc_sparse_latency_shift
from configs import mnist_fc_sparse_latency_wide
from configs import mnist_fc_sparse_wide

SEEDS = (0, 1, 2)
# input encoding (the config argument) -> suffix of its panels' names
ENCODINGS = {"rate": "", "latency": "_latency"}
# dataset -> the config modules its recipes start from
CONFIGS = {
    "mnist": dict(fc=mnist_fc, sparse=mnist_fc_sparse, sparse_wide=mnist_fc_sparse_wide,
                  latency_wide=mnist_fc_sparse_latency_wide,
                  latency_shift=mnist_fc_sparse_latency_shift),
    "fashion_mnist": dict(fc=fmnist_fc, sparse=fmnist_fc_sparse,
                          sparse_wide=fmnist_fc_sparse_wide,
                          latency_wide=fmnist_fc_sparse_latency_wide,
                          latency_shift=fmnist_fc_sparse_latency_shift),
}


def full_scale(c, encoding, epochs=20):
  """``c`` on ``encoding`` for 10 epochs without penalty, then ``epochs - 10`` with it."""
  c.encoding.name = encoding
  c.train.epochs = epochs
  c.train.phase1_epochs = 10
  c.train.checkpoint_every_steps = 0
  return c


def with_own_lambda(lambdas, config) -> tuple:
  """``lambdas`` and the config's own lambda_excess (a shipped recipe's point), sorted."""
  return tuple(sorted({*lambdas, config.phase2.lambda_excess}))


def recipes(configs, encoding):
  """One panel's recipes: ``configs`` is a CONFIGS entry."""
  fc, sparse = configs["fc"], configs["sparse"]

  def plain(**phase2):
    c = full_scale(fc.get_config(), encoding)
    c.phase2.lambda_silence = 0.0
    for key, value in phase2.items():
      c.phase2[key] = value
    return c

  panel = {
      "no_penalty_cosine": {"run": base.no_penalty_cosine(full_scale(fc.get_config(), encoding)),
                            "sweep": {"seeds": SEEDS}},
      "excess": {"run": plain(), "sweep": {"lambda_excess": (0.0, 0.03, 0.1, 0.3),
                                           "phase1_epochs": (0, 10), "seeds": SEEDS}},
      "all_spike_2phase": {"run": plain(lambda_excess=0.0),
                           "sweep": {"lambda_all": (0.003, 0.01, 0.03), "seeds": SEEDS}},
      "sparse": {"run": full_scale(sparse.get_config(), encoding),
                 "sweep": {"lambda_excess": (0.03, 0.1, 0.3), "seeds": SEEDS}},
      "sparse_wide": {"run": full_scale(configs["sparse_wide"].get_config(), encoding),
                      "sweep": {"lambda_excess": (0.03, 0.1), "seeds": SEEDS}},
  }
  if encoding == "latency":  # there learned leak and threshold cost accuracy (docs/RESULTS.md)
    panel["sparse_fixed_neuron"] = {
        "run": full_scale(base.latency_input(sparse.get_config()), encoding),
        "sweep": {"lambda_excess": (0.03, 0.1, 0.3), "seeds": SEEDS}}
    shipped = lambda c: full_scale(c, encoding, epochs=c.train.epochs)  # its phase-2 length
    shift = shipped(configs["latency_shift"].get_config())
    wide = shipped(configs["latency_wide"].get_config())
    panel["sparse_shift_fixed_neuron"] = {
        "run": shift, "sweep": {"lambda_excess": with_own_lambda((0.03, 0.1, 0.3), shift),
                                "seeds": SEEDS}}
    panel["sparse_wide_fixed_neuron"] = {
        "run": wide, "sweep": {"lambda_excess": with_own_lambda((0.03, 0.1), wide),
                               "seeds": SEEDS}}
  return panel


def get_config(encoding="rate"):
  if encoding not in ENCODINGS:
    raise ValueError(f"the input encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")
  c = ml_collections.ConfigDict()
  c.panels = {dataset + ENCODINGS[encoding]: recipes(configs, encoding)
              for dataset, configs in CONFIGS.items()}
  c.only = ()  # the panels or "<panel>/<recipe>"s this invocation trains; () = all
  c.chunk = 0  # members per vmapped program; 0 = each recipe's members together
  return c
