"""TensorBoard events: tags from metrics rows, and a reader of the written records (TFRecord
framing parsed here, payloads with the Event protobuf that tensorboardX ships)."""
import os
import struct

import numpy as np
from tensorboardX.proto import event_pb2

from snn_jax import events


def read_scalars(path) -> dict[str, dict[int, float]]:
  """``{tag: {step: value}}`` of every scalar in the event file ``path``."""
  out = {}
  with open(path, "rb") as f:
    data = f.read()
  offset = 0
  while offset < len(data):
    (length,) = struct.unpack("<Q", data[offset:offset + 8])
    payload = data[offset + 12:offset + 12 + length]  # after the length and its CRC
    offset += 12 + length + 4  # then the payload's CRC
    event = event_pb2.Event.FromString(payload)
    for value in event.summary.value:
      out.setdefault(value.tag, {})[event.step] = value.simple_value
  return out


def assert_events_match_rows(workdir, rows: list[dict]) -> None:
  """The one event file in ``workdir`` holds every number of ``rows`` (metrics.jsonl)."""
  (path,) = events.event_files(str(workdir))
  written = read_scalars(path)
  expected = {}
  for row in rows:
    for tag, value in events.scalars(row).items():
      expected.setdefault(tag, {})[row["step"]] = value
  assert set(written) == set(expected)
  for tag, by_step in expected.items():
    assert set(written[tag]) == set(by_step), tag
    np.testing.assert_allclose([written[tag][s] for s in by_step], list(by_step.values()),
                               rtol=1e-6, err_msg=tag)  # float32 in the event file


def test_scalars_tags_layers_and_skips():
  row = {"kind": "eval", "step": 8, "epoch": 1, "test_accuracy": 0.5, "diverged": False,
         "spikes_per_neuron_by_layer": [0.25, 1.5], "note": "text"}
  assert events.scalars(row) == {"eval/test_accuracy": 0.5,
                                 "eval/spikes_per_neuron_by_layer/0": 0.25,
                                 "eval/spikes_per_neuron_by_layer/1": 1.5}


def test_event_writer_round_trip(tmp_path):
  writer = events.EventWriter(str(tmp_path))
  rows = [{"kind": "train", "step": s, "ce": 2.0 / s, "lambda_excess": 0.1 * s} for s in (1, 2)]
  for row in rows:
    writer.log(row)
  writer.close()
  assert os.path.basename(events.event_files(str(tmp_path))[0]).startswith("events.out.tfevents.")
  assert_events_match_rows(tmp_path, rows)
