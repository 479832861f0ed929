"""How the benchmarks' process allocates host memory: ``--host_malloc``.

XLA:CPU allocates a compiled program's temporary buffers for every call and frees them at its
end. glibc's malloc serves a large block with a fresh ``mmap`` (above its mmap threshold, at
most 32 MB, or in a worker thread's arena, whose heaps hold at most 64 MB) and unmaps it on
``free``. So a step whose temporaries are large touches every page anew on every call: our
batch-128 train step (~37 MB) takes ~9,500 minor page faults, ~10 ms of its 57 ms on the
2-core CPU, and at batch 1024 every contender takes ~70,000 (docs/BENCHMARKS.md). Training
itself runs chunks of steps per call and reuses one allocation across them.

``reuse`` (the default) keeps every thread on glibc's main heap, serves blocks up to 1 GiB
from it and keeps freed memory for the next call (``mallopt``), for every contender in the
process alike; it must run before JAX starts its threads. ``system`` leaves glibc's defaults.
Without glibc's ``mallopt`` (macOS) both are the system allocator.
"""
import ctypes
import ctypes.util

from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_enum("host_malloc", "reuse", ["reuse", "system"],
                  "reuse: glibc keeps one heap and its freed blocks up to 1 GiB for the next "
                  "step (no page faults per step); system: glibc's defaults.")

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8  # glibc's mallopt parameters
_KEEP_BYTES = 1 << 30


def configure() -> str:
  """Applies ``--host_malloc`` (call it before any JAX computation); returns what the process
  runs with, for the report."""
  if FLAGS.host_malloc == "system":
    return "system allocator"
  try:
    mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
  except (OSError, AttributeError, TypeError):
    return "system allocator (no mallopt)"
  settings = ((_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, _KEEP_BYTES), (_M_TRIM_THRESHOLD, _KEEP_BYTES))
  if not all(mallopt(param, value) == 1 for param, value in settings):
    return "system allocator (mallopt refused)"
  return "glibc malloc, one heap keeping freed blocks up to 1 GiB (--host_malloc=reuse)"
