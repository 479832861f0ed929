"""Shared fixtures: the IDX data root for the MNIST / Fashion-MNIST tests."""
import os
import pathlib
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `configs` and `experiments` are not installed packages
  sys.path.insert(0, str(REPO_ROOT))

from snn_jax import data  # pylint: disable=wrong-import-position


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
