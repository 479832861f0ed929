"""Dataset loading: real IDX files, digits split, corrupt files, batching helpers."""
import gzip
import os
import re
import struct

import numpy as np
import pytest

from configs import base
from snn_jax import data


def _data_config(**overrides):
  c = base.base_config().data
  c.update(overrides)
  return c


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_real_idx_files(data_dir, name):
  ds = data.load(_data_config(name=name, source="idx", data_dir=data_dir))
  assert ds.train_images.shape == (60000, 28, 28) and ds.test_images.shape == (10000, 28, 28)
  assert ds.train_labels.shape == (60000,) and ds.test_labels.shape == (10000,)
  assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int32
  assert ds.num_classes == 10
  for labels in (ds.train_labels, ds.test_labels):
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))
  assert ds.train_images.max() == 255 and ds.train_images.min() == 0


def test_real_idx_folders_not_swapped(data_dir):
  """Fashion-MNIST is published exactly balanced (6000 / 1000 per class); MNIST is not."""
  fashion = data.load(_data_config(name="fashion_mnist", source="idx", data_dir=data_dir))
  mnist = data.load(_data_config(name="mnist", source="idx", data_dir=data_dir))
  np.testing.assert_array_equal(np.bincount(fashion.train_labels), np.full(10, 6000))
  np.testing.assert_array_equal(np.bincount(fashion.test_labels), np.full(10, 1000))
  assert len(set(np.bincount(mnist.train_labels))) > 1


def test_env_var_is_the_default_data_dir(data_dir, monkeypatch):
  monkeypatch.setenv(data.DATA_DIR_ENV, data_dir)
  ds = data.load(_data_config(name="mnist", source="auto", data_dir="", test_size=5))
  assert ds.test_images.shape == (5, 28, 28)


def test_digits_split():
  ds = data.load_digits()
  n_train, n_test = len(ds.train_labels), len(ds.test_labels)
  assert n_train + n_test == 1797 and n_test == round(0.2 * 1797)
  assert ds.train_images.shape == (n_train, 8, 8) and ds.train_images.dtype == np.uint8
  assert ds.train_images.max() == 255
  # train + test is a partition of the whole set: same multiset of (image, label) rows
  from sklearn import datasets  # pylint: disable=import-outside-toplevel
  full = datasets.load_digits()
  every = np.concatenate([np.round(full.images.reshape(-1, 64) * 255 / 16),
                          full.target[:, None]], 1)
  split = np.concatenate([
      np.concatenate([ds.train_images.reshape(-1, 64), ds.train_labels[:, None]], 1),
      np.concatenate([ds.test_images.reshape(-1, 64), ds.test_labels[:, None]], 1)])
  np.testing.assert_array_equal(np.unique(every, axis=0, return_counts=True)[1],
                                np.unique(split, axis=0, return_counts=True)[1])
  np.testing.assert_array_equal(np.unique(every, axis=0), np.unique(split, axis=0))
  again = data.load_digits()
  np.testing.assert_array_equal(again.test_labels, ds.test_labels)


def test_truncation():
  full = data.load_digits()
  ds = data.load(_data_config(name="digits", train_size=100, test_size=7))
  assert len(ds.train_labels) == 100 and len(ds.test_labels) == 7
  np.testing.assert_array_equal(ds.train_images, full.train_images[:100])
  np.testing.assert_array_equal(ds.test_labels, full.test_labels[:7])
  with pytest.raises(ValueError, match="train_size"):
    data.load(_data_config(name="digits", train_size=-1))


def test_unknown_name_and_source():
  with pytest.raises(ValueError, match="cifar"):
    data.load(_data_config(name="cifar"))
  with pytest.raises(ValueError, match="http"):
    data.load(_data_config(name="mnist", source="http"))
  with pytest.raises(ValueError, match="only from tfds"):
    data.load(_data_config(name="cifar10", source="idx"))


def test_cifar10_without_tensorflow_datasets_names_the_package():
  try:
    import tensorflow_datasets  # pylint: disable=import-outside-toplevel,unused-import
    pytest.skip("tensorflow-datasets is installed")
  except ImportError:
    pass
  with pytest.raises(data.DataError, match="tensorflow-datasets"):
    data.load(_data_config(name="cifar10"))


# ---- corrupt files, on a tiny synthetic IDX folder -------------------------------------------

def _idx_bytes(array: np.ndarray, magic=None) -> bytes:
  magic = 0x0800 + array.ndim if magic is None else magic
  return struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


def _write_gz(path, payload: bytes):
  with gzip.open(path, "wb") as f:
    f.write(payload)


@pytest.fixture
def idx_folder(tmp_path):
  """A valid 4-file IDX folder: 6 train and 4 test images of 3x2."""
  rng = np.random.default_rng(0)
  for split, n in (("train", 6), ("test", 4)):
    image_file, label_file = data.IDX_FILES[split]
    _write_gz(tmp_path / image_file, _idx_bytes(rng.integers(0, 256, (n, 3, 2))))
    _write_gz(tmp_path / label_file, _idx_bytes(np.arange(n) % 10))
  return tmp_path


def test_synthetic_folder_loads(idx_folder):
  ds = data.load(_data_config(name="mnist", source="idx", data_dir=str(idx_folder)))
  assert ds.train_images.shape == (6, 3, 2) and ds.test_labels.tolist() == [0, 1, 2, 3]


def _corrupt_and_expect(folder, filename, payload_or_raw, match=None):
  """The error names the file, and ``match`` after it when given."""
  path = folder / filename
  path.write_bytes(payload_or_raw)
  with pytest.raises(data.DataError, match=re.escape(f"corrupt data file {path}") +
                     (f".*{match}" if match else "")):
    data.load_idx_folder(str(folder))


def test_truncated_gzip(idx_folder):
  name = data.IDX_FILES["train"][0]
  raw = (idx_folder / name).read_bytes()
  _corrupt_and_expect(idx_folder, name, raw[: len(raw) // 2], "gzip")


def test_not_gzip(idx_folder):
  _corrupt_and_expect(idx_folder, data.IDX_FILES["test"][0], b"plain bytes, no gzip here")


def test_wrong_magic(idx_folder):
  name = data.IDX_FILES["test"][1]
  _corrupt_and_expect(idx_folder, name, gzip.compress(_idx_bytes(np.arange(4), magic=0x0803)),
                      "magic")


def test_header_size_mismatch(idx_folder):
  name = data.IDX_FILES["train"][0]
  payload = _idx_bytes(np.zeros((6, 3, 2)))[:-1]  # one pixel short
  _corrupt_and_expect(idx_folder, name, gzip.compress(payload), "header")


def test_shorter_than_header(idx_folder):
  _corrupt_and_expect(idx_folder, data.IDX_FILES["train"][1], gzip.compress(b"\x00\x00\x08"))


def test_images_labels_count_mismatch(idx_folder):
  _write_gz(idx_folder / data.IDX_FILES["test"][1], _idx_bytes(np.arange(3)))
  with pytest.raises(data.DataError, match="4 images but 3 labels"):
    data.load_idx_folder(str(idx_folder))


def test_label_out_of_range(idx_folder):
  _write_gz(idx_folder / data.IDX_FILES["test"][1], _idx_bytes(np.array([0, 1, 10, 2])))
  with pytest.raises(data.DataError, match="label 10"):
    data.load_idx_folder(str(idx_folder))


def test_missing_file(idx_folder):
  path = idx_folder / data.IDX_FILES["test"][0]
  os.remove(path)
  with pytest.raises(data.DataError, match=re.escape(f"missing data file {path}")):
    data.load_idx_folder(str(idx_folder))
  # load() names where it looked
  with pytest.raises(data.DataError, match=re.escape(str(idx_folder))):
    data.load(_data_config(name="mnist", source="idx", data_dir=str(idx_folder)))


def test_load_idx_empty_dir_says_where_it_looked(tmp_path):
  with pytest.raises(data.DataError) as err:
    data.load(_data_config(name="fashion_mnist", source="idx", data_dir=str(tmp_path)))
  message = str(err.value)
  for folder in ("fashion-mnist", "fashion_mnist"):  # every searched path, and why it failed
    assert f"{tmp_path / folder} (no such directory)" in message
  assert f"{tmp_path} (none of the 4 IDX files)" in message
  assert data.DATA_DIR_ENV in message and "\n" not in message


def test_every_missing_file_is_named(idx_folder):
  for name in (data.IDX_FILES["train"][1], data.IDX_FILES["test"][0]):
    os.remove(idx_folder / name)
  missing = f"{idx_folder} (missing {data.IDX_FILES['train'][1]}, {data.IDX_FILES['test'][0]})"
  with pytest.raises(data.DataError, match=re.escape(missing)):
    data.load(_data_config(name="mnist", source="idx", data_dir=str(idx_folder)))


def test_auto_without_files_or_tfds_names_both(tmp_path):
  if data.tfds_installed():
    pytest.skip("tensorflow-datasets is installed: auto falls back to it")
  with pytest.raises(data.DataError) as err:
    data.load(_data_config(name="mnist", source="auto", data_dir=str(tmp_path)))
  assert str(tmp_path / "mnist") in str(err.value) and "tensorflow-datasets" in str(err.value)


def test_fashion_subfolder_with_underscore(idx_folder, tmp_path_factory):
  root = tmp_path_factory.mktemp("root")
  os.rename(idx_folder, root / "fashion_mnist")
  ds = data.load(_data_config(name="fashion_mnist", source="idx", data_dir=str(root)))
  assert len(ds.train_labels) == 6


# ---- batching helpers -------------------------------------------------------------------------

def test_epoch_order():
  rng = np.random.default_rng(0)
  order = data.epoch_order(10, 3, rng)
  assert order.shape == (3, 3)
  assert len(set(order.ravel().tolist())) == 9 and set(order.ravel()) <= set(range(10))
  assert not np.array_equal(order, data.epoch_order(10, 3, rng))  # reshuffled each epoch
  full = data.epoch_order(12, 4, np.random.default_rng(1))
  np.testing.assert_array_equal(np.sort(full.ravel()), np.arange(12))
  with pytest.raises(ValueError, match="batch_size=11"):
    data.epoch_order(10, 11, rng)


def test_eval_batches_pad_and_mask():
  images = np.arange(7 * 2 * 2, dtype=np.uint8).reshape(7, 2, 2)
  labels = np.arange(7, dtype=np.int32) + 1
  batches = list(data.eval_batches(images, labels, 3))
  assert len(batches) == 3
  for x, y, mask in batches:
    assert x.shape == (3, 2, 2) and y.shape == (3,) and mask.shape == (3,)
    assert x.dtype == np.uint8 and y.dtype == np.int32 and mask.dtype == bool
  np.testing.assert_array_equal(batches[-1][2], [True, False, False])
  np.testing.assert_array_equal(batches[-1][1], [7, 0, 0])
  np.testing.assert_array_equal(np.concatenate([y[m] for _, y, m in batches]), labels)
  np.testing.assert_array_equal(np.concatenate([x[m] for x, _, m in batches]), images)
