"""The library's default configuration: every key, its default and what it means.

Config files (configs/*.py in the repository) start from :func:`default_config` and override
a few keys; ``snn_jax.train_and_evaluate(default_config(), workdir)`` runs without them.
"""
import ml_collections


def default_config() -> ml_collections.ConfigDict:
  """Every key with its default: a 784-256x4-10 MLP, rate input T=20, two-phase training
  with lambda_excess 0.3 in phase 2. The equations behind each key are in docs/METHOD.md."""
  c = ml_collections.ConfigDict()
  c.seed = 0                      # parameter init and input-encoding randomness

  c.data = ml_collections.ConfigDict()
  c.data.name = "digits"          # digits | mnist | fashion_mnist
  c.data.source = "auto"          # auto | idx | tfds (digits ignores it)
  c.data.data_dir = ""            # IDX folder; "" -> $SNN_JAX_DATA_DIR
  c.data.train_size = 0           # first N training examples (0 = all)
  c.data.test_size = 0            # first N test examples (0 = all)
  c.data.shuffle_seed = 0         # data order, separate from `seed` so sweeps share one stream
  c.data.random_shift = 0         # training images move by up to this many pixels along each
                                  # axis, drawn per image and step (zero fill); 0 = off

  c.encoding = ml_collections.ConfigDict()
  c.encoding.name = "rate"        # rate | latency | direct
  c.encoding.num_steps = 20       # T
  c.encoding.max_rate = 1.0       # rate: spike probability of a white pixel per step
  c.encoding.p_min = 0.2          # latency: darker pixels never spike
  c.encoding.rate_bits = 8        # rate: random bits per draw, 8 | 16 (P(spike) within
                                  # 2^-(bits+1) of p)

  c.neuron = ml_collections.ConfigDict()
  c.neuron.beta = 0.9
  c.neuron.threshold = 1.0
  c.neuron.reset = "subtract"     # subtract | zero
  c.neuron.detach_reset = True
  c.neuron.surrogate = "fast_sigmoid"  # fast_sigmoid | arctan | triangle | boxcar
  c.neuron.surrogate_scale = 10.0      # k, a or w of the surrogate (docs/METHOD.md)
  c.neuron.learn_beta = False
  c.neuron.learn_threshold = False

  c.model = ml_collections.ConfigDict()
  c.model.name = "mlp"            # mlp | conv
  c.model.hidden = (256, 256, 256, 256)  # dense hidden widths (after the convs for "conv")
  c.model.channels = ()           # conv: output channels per conv layer
  c.model.strides = ()            # conv: stride per conv layer
  c.model.kernel_size = 3
  c.model.readout = "mean_current"  # mean_current | spike_count | max_membrane | first_spike
  c.model.init_spikes = 0.0       # > 0: hidden weights rescaled at init, layer by layer, until
                                  # each layer fires this many spikes per neuron and sample on
                                  # the first train.batch_size training images
                                  # (snn_jax.calibration); 0 = off

  c.loss = ml_collections.ConfigDict()
  c.loss.free_spikes = 1.0        # k: spikes per neuron and sample that cost no excess
  c.loss.layer_weights = ()       # w_l per hidden layer; () = 1 for every layer
  c.loss.r_min = 1.0              # silence term target count
  c.loss.squared_excess = False   # penalise max(0, n - k)^2 instead

  # Phase 1 covers epochs [0, train.phase1_epochs), phase 2 the rest. Within each phase the
  # learning rate warms up linearly from 0 over `warmup_epochs` and follows a cosine from
  # `learning_rate` down to `lr_end_fraction * learning_rate` at the phase's end (1 = constant).
  c.phase1 = _phase(lambda_excess=0.0)
  c.phase2 = _phase(lambda_excess=0.3)
  c.phase2.ramp_epochs = 0.0      # lambdas move linearly from phase 1's over these epochs
                                  # (0 = switch)

  c.optim = ml_collections.ConfigDict()  # Adam
  c.optim.b1 = 0.9
  c.optim.b2 = 0.999
  c.optim.eps = 1e-8
  c.optim.grad_clip = 0.0         # global-norm clip over all parameters; 0 = off
  c.optim.weight_decay = 0.0      # decoupled (AdamW) decay of the synaptic kernels, not biases
                                  # or neuron parameters: each step also w -= lr * decay * w
  # Parameter groups (optax.multi_transform): synaptic weights and biases, and the learnable
  # neuron parameters (neuron.learn_beta / learn_threshold). Each group's gradient is clipped
  # (global norm within the group; 0 = off) and turned into an Adam direction (plus the weight
  # decay for the weights group), which is scaled by lr_scale and zeroed in the phases where
  # the group does not train; the step then applies -learning_rate of the phase.
  for group in ("weights", "neuron"):
    c.optim[group] = ml_collections.ConfigDict()
    c.optim[group].lr_scale = 1.0
    c.optim[group].grad_clip = 0.0
    c.optim[group].train_phase1 = True
    c.optim[group].train_phase2 = True

  # Speed and memory only: the same model and update (up to rounding), computed differently.
  c.compute = ml_collections.ConfigDict()
  c.compute.unroll = 0            # LIF scan unroll; 0 = auto per backend (CPU 1, GPU 5;
                                  # models.AUTO_UNROLL)
  c.compute.lif_backward = "loop"  # loop | matmul: the detached-subtract LIF gradient as a
                                  # reverse loop in place or as [T, T] matmuls (BENCHMARKS.md)
  c.compute.lif_loops = "xla"     # xla | pallas: that neuron's time loops as XLA loops or as
                                  # one Pallas (Triton) kernel each; pallas needs a GPU and a
                                  # single device (snn_jax/lif_kernels.py)
  c.compute.dtype = "float32"     # float32 | bfloat16: matmuls, convs and spikes; parameters,
                                  # optimizer state and membranes stay float32
  c.compute.remat_chunk = 0       # T steps run as spans of this many, each recomputed in the
                                  # backward pass (peak memory ~ span, not T); must divide T;
                                  # 0 = off

  c.train = ml_collections.ConfigDict()
  c.train.epochs = 2
  c.train.phase1_epochs = 1       # 0 = one-phase training (penalty from step 0)
  c.train.batch_size = 128
  c.train.eval_batch_size = 1000
  c.train.log_every_steps = 50
  c.train.device_data = "auto"    # training set on the device: auto | true | false (host batching)
  c.train.device_data_max_mb = 1024.0  # auto: largest set (images + labels) copied to each device
  # Training steps per compiled call (one lax.fori_loop; 1 = the step alone), at most
  # log_every_steps; 0 = auto: log_every_steps.
  c.train.steps_per_dispatch = 0
  # Diverged: cross-entropy above this factor x its first-step value (0 = only NaN/inf counts).
  c.train.divergence_factor = 100.0
  # Collapsed: test accuracy within this of the majority-class rate, or every hidden neuron silent.
  c.train.collapse_margin = 0.02
  # Checkpoints (<workdir>/checkpoints) every N steps (0 = only at the phase boundary and the
  # last step, which are always saved). A save took ~0.2-0.3 s on the 2-core CPU: ~34 steps
  # of the digits net, ~1 step of mnist_fc's. Every 1000 steps costs the smallest net ~3% and
  # loses at most ~6 min of mnist_fc training on that CPU (seconds on a GPU) to a preemption.
  c.train.checkpoint_every_steps = 1000
  # Keep the last N. One is safe: Orbax deletes the old step only once the new one is complete.
  c.train.checkpoints_to_keep = 1

  c.energy = ml_collections.ConfigDict()
  c.energy.e_ac_pj = 0.9          # 45 nm accumulate (Horowitz, ISSCC 2014)
  c.energy.e_mac_pj = 4.6         # 45 nm multiply-accumulate
  return c


def _phase(lambda_excess: float) -> ml_collections.ConfigDict:
  """One phase's keys (both phases have the same ones): its penalty weights and its learning
  rate schedule."""
  c = ml_collections.ConfigDict()
  c.lambda_excess = lambda_excess
  c.lambda_all = 0.0
  c.lambda_silence = 0.0
  c.learning_rate = 1e-3
  c.warmup_epochs = 0.0
  c.lr_end_fraction = 1.0
  return c
