r"""A finished run's own config, read back from its workdir, to train it again with changes.

  python -m experiments.train --config configs/from_run.py:runs/mnist_fc \
      --workdir runs/mnist_fc_init1 --config.model.init_spikes=1

The argument is the workdir of any training run, sweep member or suite member (the folder
holding its config.json). Unchanged, the new run repeats the old one: same numbers on the
same machine and code. Keys the run's config.json lacks (added to snn-jax after it ran) keep
their defaults; a retired key is dropped while it holds the value that today's code repeats
(`workdir.RETIRED_KEYS`). `experiments.sweep` takes it too: docs/RESULTS.md ("why one phase
collapses") trained Table 2's collapsed rate members again with only their init changed.
"""
from snn_jax import checkpoint
from snn_jax import defaults
from snn_jax import workdir as workdir_lib


def get_config(run_workdir):
  try:
    saved = checkpoint.load_config(run_workdir)
  except FileNotFoundError as e:
    raise ValueError(str(e)) from None
  config = defaults.default_config()
  flat = workdir_lib.flatten(saved.to_dict())
  extra = flat.keys() - workdir_lib.flatten(config.to_dict()).keys()
  # a retired key at its retired value asks for today's behaviour (workdir.RETIRED_KEYS)
  retired = {k for k in extra if k in workdir_lib.RETIRED_KEYS
             and flat[k] == workdir_lib.RETIRED_KEYS[k]}
  if extra - retired:
    raise ValueError(f"{run_workdir}/config.json has keys this snn-jax does not know: "
                     f"{', '.join(sorted(extra - retired))}")
  for key in retired:
    section, leaf = key.rsplit(".", 1)
    del saved[section][leaf]
  config.update(saved)
  return config
