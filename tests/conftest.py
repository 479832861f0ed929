"""Shared test helpers: the small training config every training test starts from, one run of
it trained for the tests that only read a finished run, and the IDX data root for the MNIST /
Fashion-MNIST tests."""
import os
import pathlib
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `configs` and `experiments` are not installed packages
  sys.path.insert(0, str(REPO_ROOT))

from configs import digits  # pylint: disable=wrong-import-position
from snn_jax import data  # pylint: disable=wrong-import-position
from snn_jax import train  # pylint: disable=wrong-import-position


def small_config(**overrides):
  """A fresh digits config that trains in seconds: 256 training and 100 test images, batches
  of 32 (8 steps per epoch), 1 + 1 epochs, a 2x32 net, T = 8, a log row every 4 steps, eval
  batches of 64 (100 = 64 + 36: the last one is padded), and phase 2's learning rate 2e-3
  (phase 1's is 1e-3, so the switch shows).

  ``overrides`` name a key as its section and name joined by ``__``:
  ``small_config(data__train_size=128, model__hidden=(16,))``. A plain function, not a
  fixture, so module-level code and the subprocess scripts can call it too.
  """
  c = digits.get_config()
  c.data.train_size, c.data.test_size = 256, 100
  c.train.batch_size, c.train.eval_batch_size = 32, 64
  c.train.epochs, c.train.phase1_epochs = 2, 1
  c.train.log_every_steps = 4
  c.model.hidden = (32, 32)
  c.encoding.num_steps = 8
  c.phase2.learning_rate = 2e-3
  for key, value in overrides.items():
    *sections, name = key.split("__")
    node = c
    for section in sections:
      node = node[section]
    if name not in node:  # a typo would otherwise add a key that nothing reads
      raise KeyError(f"small_config: no key {'.'.join((*sections, name))!r}")
    node[name] = value
  return c


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> tuple[pathlib.Path, dict]:
  """``small_config()`` trained once per session: its workdir and summary. Tests only read
  the workdir; one that changes it works on a copy."""
  workdir = tmp_path_factory.mktemp("small_run")
  _, summary = train.train_and_evaluate(small_config(), str(workdir))
  return workdir, summary


@pytest.fixture(scope="session")
def data_dir() -> str:
  """The IDX data root: $SNN_JAX_DATA_DIR, else ../shared/data next to the repo.

  Missing files skip the test locally and fail it when $CI is set.
  """
  root = os.environ.get(data.DATA_DIR_ENV) or str(REPO_ROOT.parent / "shared" / "data")
  missing = [name for name in data.IDX_FOLDERS if data.find_idx_folder(name, root) is None]
  if missing:
    message = (f"IDX files for {missing} not found under {root!r}; set ${data.DATA_DIR_ENV} "
               "to the folder holding mnist/ and fashion-mnist/")
    if os.environ.get("CI"):
      pytest.fail(message)
    pytest.skip(message)
  return root
