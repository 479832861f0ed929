"""Defaults shared by every config; each config file overrides a few keys.

Not a config to run on its own: see digits.py, mnist_fc.py, fmnist_fc.py,
mnist_conv.py and fmnist_conv.py.
"""
import ml_collections


def base_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 0                      # parameter init and input-encoding randomness

  c.data = ml_collections.ConfigDict()
  c.data.name = "digits"          # digits | mnist | fashion_mnist
  c.data.source = "auto"          # auto | idx | tfds (digits ignores it)
  c.data.data_dir = ""            # IDX folder; "" -> $SNN_JAX_DATA_DIR
  c.data.train_size = 0           # first N training examples (0 = all)
  c.data.test_size = 0            # first N test examples (0 = all)
  c.data.shuffle_seed = 0         # data order, separate from `seed` so sweeps share one stream

  c.encoding = ml_collections.ConfigDict()
  c.encoding.name = "rate"        # rate | latency | direct
  c.encoding.num_steps = 20       # T
  c.encoding.max_rate = 1.0       # rate: spike probability of a white pixel per step
  c.encoding.rate_bits = 8        # rate: random bits per draw, 8 | 16 (P(spike) within 2^-(bits+1) of p)
  c.encoding.p_min = 0.2          # latency: darker pixels never spike

  c.neuron = ml_collections.ConfigDict()
  c.neuron.beta = 0.9
  c.neuron.threshold = 1.0
  c.neuron.reset = "subtract"     # subtract | zero
  c.neuron.detach_reset = True
  c.neuron.surrogate = "fast_sigmoid"  # fast_sigmoid | arctan | triangle | boxcar
  c.neuron.surrogate_scale = 10.0      # k, a or w of the surrogate (METHOD.md)
  c.neuron.learn_beta = False
  c.neuron.learn_threshold = False

  c.model = ml_collections.ConfigDict()
  c.model.name = "mlp"            # mlp | conv
  c.model.hidden = (256, 256, 256, 256)  # dense hidden widths (after the convs for "conv")
  c.model.channels = ()           # conv: output channels per conv layer
  c.model.strides = ()            # conv: stride per conv layer
  c.model.kernel_size = 3
  c.model.readout = "mean_current"  # mean_current | spike_count | max_membrane | first_spike

  c.loss = ml_collections.ConfigDict()
  c.loss.free_spikes = 1.0        # k: spikes per neuron and sample that cost no excess
  c.loss.layer_weights = ()       # w_l per hidden layer; () = 1 for every layer
  c.loss.r_min = 1.0              # silence term target count
  c.loss.squared_excess = False   # penalise max(0, n - k)^2 instead

  # Phase 1 covers epochs [0, train.phase1_epochs), phase 2 the rest.
  c.phase1 = ml_collections.ConfigDict()
  c.phase1.lambda_excess = 0.0
  c.phase1.lambda_all = 0.0
  c.phase1.lambda_silence = 0.0
  c.phase1.learning_rate = 1e-3
  c.phase2 = ml_collections.ConfigDict()
  c.phase2.lambda_excess = 0.3
  c.phase2.lambda_all = 0.0
  c.phase2.lambda_silence = 0.0
  c.phase2.learning_rate = 1e-3

  c.optim = ml_collections.ConfigDict()  # Adam
  c.optim.b1 = 0.9
  c.optim.b2 = 0.999
  c.optim.eps = 1e-8
  c.optim.grad_clip = 0.0         # global-norm clip; 0 = off

  c.train = ml_collections.ConfigDict()
  c.train.epochs = 2
  c.train.phase1_epochs = 1       # 0 = one-phase training (penalty from step 0)
  c.train.batch_size = 128
  c.train.eval_batch_size = 1000
  c.train.log_every_steps = 50

  # Speed and memory only: the same model and update (up to rounding), computed differently.
  c.compute = ml_collections.ConfigDict()
  c.compute.unroll = 0            # LIF scan unroll; 0 = auto per backend (CPU 1, GPU 5; models.AUTO_UNROLL)
  c.compute.dtype = "float32"     # float32 | bfloat16: matmuls, convs and spikes; parameters,
                                  # optimizer state and membranes stay float32
  c.compute.remat = False         # recompute activations in the backward pass: less memory at long T

  c.energy = ml_collections.ConfigDict()
  c.energy.e_ac_pj = 0.9          # 45 nm accumulate (Horowitz, ISSCC 2014)
  c.energy.e_mac_pj = 4.6         # 45 nm multiply-accumulate
  return c
