"""Datasets as uint8 image arrays ``[N, H, W]`` (``[N, H, W, C]`` for colour) plus int32 labels.

Sources:
  digits: scikit-learn's bundled 8x8 digits (1,797 images, no download); a fixed
    80/20 split, intensities 0..16 rescaled to 0..255.
  idx: a local folder of the standard MNIST / Fashion-MNIST ``.gz`` IDX files,
    ``<data_dir>/<mnist|fashion-mnist>/`` (or the files directly in ``data_dir``).
    ``data_dir`` comes from ``config.data.data_dir`` or ``$SNN_JAX_DATA_DIR``.
  tfds: tensorflow-datasets (needs a network the first time, ``pip install .[tfds]``);
    the only source of cifar10.
  auto: idx when the files are there, else tfds.
"""
import gzip
import importlib.util
import os
import struct
import zlib
from typing import NamedTuple

import numpy as np

DATA_DIR_ENV = "SNN_JAX_DATA_DIR"
IDX_FOLDERS = {"mnist": ("mnist",), "fashion_mnist": ("fashion-mnist", "fashion_mnist")}
TFDS_ONLY = ("cifar10",)
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
HOW_TO_GET = ("Get the IDX .gz files from http://yann.lecun.com/exdb/mnist/ or "
              "https://github.com/zalandoresearch/fashion-mnist, point "
              f"${DATA_DIR_ENV} (or --config.data.data_dir) at their folder, or use "
              "--config.data.source=tfds with a network.")


class DataError(RuntimeError):
  """A dataset is missing, unreadable or inconsistent."""


class Dataset(NamedTuple):
  train_images: np.ndarray  # uint8 [N, H, W]
  train_labels: np.ndarray  # int32 [N]
  test_images: np.ndarray
  test_labels: np.ndarray
  num_classes: int


def load(data_config) -> Dataset:
  """The dataset ``data_config.name`` from ``data_config.source``, cut to the configured sizes."""
  return truncate(load_full(data_config), data_config.train_size, data_config.test_size)


def load_full(data_config) -> Dataset:
  """The whole dataset ``data_config.name`` from ``data_config.source``."""
  name, source = data_config.name, data_config.source
  if name == "digits":
    return load_digits()
  if name in IDX_FOLDERS:
    if source not in ("auto", "idx", "tfds"):
      raise ValueError(f"data.source={source!r}; choose 'auto', 'idx' or 'tfds'")
    folder = find_idx_folder(name, data_config.data_dir)
    if folder and source != "tfds":
      return load_idx_folder(folder)
    if source == "idx" or (source == "auto" and not tfds_installed()):
      raise DataError(missing_idx_message(name, data_config.data_dir, source))
    return load_tfds(name)
  if name in TFDS_ONLY:
    if source not in ("auto", "tfds"):
      raise ValueError(f"data.source={source!r}: {name} comes only from tfds ('auto' or 'tfds')")
    return load_tfds(name)
  raise ValueError(f"data.name={name!r}; choose 'digits', 'mnist', 'fashion_mnist' or 'cifar10'")


def load_digits(test_fraction: float = 0.2) -> Dataset:
  """scikit-learn's 8x8 digits, split once with a fixed permutation."""
  from sklearn import datasets  # pylint: disable=import-outside-toplevel
  digits = datasets.load_digits()
  images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
  labels = digits.target.astype(np.int32)
  order = np.random.default_rng(0).permutation(len(labels))
  num_test = int(round(test_fraction * len(labels)))
  test, train = order[:num_test], order[num_test:]
  return Dataset(images[train], labels[train], images[test], labels[test], 10)


def _candidate_dirs(name: str, data_dir: str | None) -> list[str]:
  root = data_dir or os.environ.get(DATA_DIR_ENV, "")
  if not root:
    return []
  return [os.path.join(root, sub) for sub in IDX_FOLDERS[name]] + [root]


def find_idx_folder(name: str, data_dir: str | None) -> str | None:
  """The first candidate folder holding all four IDX files of ``name``, else None."""
  for folder in _candidate_dirs(name, data_dir):
    if all(os.path.exists(os.path.join(folder, f)) for pair in IDX_FILES.values() for f in pair):
      return folder
  return None


def missing_idx_message(name: str, data_dir: str | None, source: str) -> str:
  """Every folder searched for ``name``'s IDX files and what each lacks, plus how to get them."""
  candidates = _candidate_dirs(name, data_dir)
  if not candidates:
    where = (f"no data directory for {name}: ${DATA_DIR_ENV} and data.data_dir are unset")
  else:
    files = [f for pair in IDX_FILES.values() for f in pair]
    found = []
    for folder in candidates:
      if not os.path.isdir(folder):
        found.append(f"{folder} (no such directory)")
        continue
      missing = [f for f in files if not os.path.exists(os.path.join(folder, f))]
      found.append(f"{folder} (missing {', '.join(missing)})" if len(missing) < len(files)
                   else f"{folder} (none of the {len(files)} IDX files)")
    where = f"no complete {name} IDX folder; searched " + "; ".join(found)
  if source == "auto":
    where += ", and tensorflow-datasets (the fallback) is not installed"
  return f"{where}. {HOW_TO_GET}"


def tfds_installed() -> bool:
  return importlib.util.find_spec("tensorflow_datasets") is not None


def load_idx_folder(folder: str) -> Dataset:
  """Train and test splits from the four standard IDX ``.gz`` files in ``folder``."""
  splits = []
  for split, (image_file, label_file) in IDX_FILES.items():
    images = read_idx(os.path.join(folder, image_file), ndim=3)
    labels = read_idx(os.path.join(folder, label_file), ndim=1).astype(np.int32)
    if len(images) != len(labels):
      raise DataError(f"{folder}: {split} split has {len(images)} images but {len(labels)} labels")
    if labels.max() >= 10:
      raise DataError(f"{os.path.join(folder, label_file)}: label {labels.max()} is not a class "
                      f"0-9")
    splits += [images, labels]
  return Dataset(*splits, num_classes=10)


def read_idx(path: str, ndim: int) -> np.ndarray:
  """A uint8 IDX array from a gzip file; :class:`DataError` if missing or corrupt."""
  if not os.path.exists(path):
    raise DataError(f"missing data file {path}. " + HOW_TO_GET)
  try:
    with gzip.open(path, "rb") as f:
      raw = f.read()
  except (OSError, EOFError, zlib.error) as e:
    raise DataError(f"corrupt data file {path} (not a readable gzip: {e}). " + HOW_TO_GET) from e
  header = 4 + 4 * ndim
  if len(raw) < header:
    raise DataError(f"corrupt data file {path}: {len(raw)} bytes, shorter than an IDX header")
  magic, *dims = struct.unpack(f">{1 + ndim}I", raw[:header])
  if magic != 0x0800 + ndim:
    raise DataError(f"corrupt data file {path}: IDX magic {magic:#010x}, expected "
                    f"{0x0800 + ndim:#010x} (uint8, {ndim} dims)")
  if len(raw) - header != int(np.prod(dims)):
    raise DataError(f"corrupt data file {path}: header says {dims} = {int(np.prod(dims))} bytes, "
                    f"file holds {len(raw) - header}")
  return np.frombuffer(raw, np.uint8, offset=header).reshape(dims)


def load_tfds(name: str) -> Dataset:
  """MNIST / Fashion-MNIST / CIFAR-10 through tensorflow-datasets (downloads on first use)."""
  try:
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
  except ImportError as e:
    raise DataError(f"{name} needs tensorflow-datasets, which is not installed "
                    "(pip install -e '.[tfds]')" +
                    ("." if name in TFDS_ONLY else ". " + HOW_TO_GET)) from e
  splits = []
  for split in ("train", "test"):
    try:
      ds = tfds.as_numpy(tfds.load(name, split=split, batch_size=-1))
    except Exception as e:  # download and preparation errors have many types
      raise DataError(f"tensorflow-datasets could not load {name} ({split}): {e}") from e
    images = ds["image"].astype(np.uint8)
    splits += [images[..., 0] if images.shape[-1] == 1 else images, ds["label"].astype(np.int32)]
  return Dataset(*splits, num_classes=10)


def truncate(ds: Dataset, train_size: int, test_size: int) -> Dataset:
  """Keeps the first ``train_size`` / ``test_size`` examples (0 keeps all)."""
  for size, field in ((train_size, "data.train_size"), (test_size, "data.test_size")):
    if size < 0:
      raise ValueError(f"{field} must be >= 0 (0 = all), got {size}")
  train = slice(None, train_size or None)
  test = slice(None, test_size or None)
  return Dataset(ds.train_images[train], ds.train_labels[train], ds.test_images[test],
                 ds.test_labels[test], ds.num_classes)


def steps_per_epoch(num_examples: int, batch_size: int) -> int:
  """Full batches in one epoch (remainder dropped); ValueError if there is none."""
  steps = num_examples // batch_size
  if steps == 0:
    raise ValueError(f"train.batch_size={batch_size} exceeds the {num_examples} training examples")
  return steps


def epoch_order(num_examples: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
  """Shuffled example indices ``[steps, batch_size]`` for one epoch (remainder dropped)."""
  steps = steps_per_epoch(num_examples, batch_size)
  return rng.permutation(num_examples)[: steps * batch_size].reshape(steps, batch_size)


def eval_batches(images: np.ndarray, labels: np.ndarray, batch_size: int):
  """Yields ``(images, labels, mask)`` of exactly ``batch_size`` rows; padding rows have mask 0."""
  for start in range(0, len(labels), batch_size):
    x, y = images[start:start + batch_size], labels[start:start + batch_size]
    pad = batch_size - len(y)
    mask = np.concatenate([np.ones(len(y), bool), np.zeros(pad, bool)])
    yield (np.concatenate([x, np.zeros((pad,) + x.shape[1:], x.dtype)]),
           np.concatenate([y, np.zeros(pad, y.dtype)]), mask)
