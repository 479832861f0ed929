"""The entry points' shared runner: a user's mistake is one line on stderr, not a traceback.

Each script ends with ``cli.run(main)`` instead of ``app.run(main)``. Bad flags, config
files, config values, data and diverged runs print ``error: <what, naming the key, value or
file>`` to stderr and exit with status 1; ``--debug`` shows the full traceback instead.
"""
import logging
import sys
from typing import Callable

from absl import app
from absl import flags

from snn_jax import checkpoint
from snn_jax import data
from snn_jax import reporting
from snn_jax import workdir

FLAGS = flags.FLAGS
# absl prints INFO records to stderr; jax logs one when a backend (e.g. TPU) is absent.
logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
flags.DEFINE_bool("debug", False, "Show the full traceback of an error instead of one line.")

# What a user's input can cause, once flags are parsed (ConfigError and ConfigMismatchError
# are ValueErrors).
USER_ERRORS = (ValueError, data.DataError, reporting.DivergenceError, OSError,
               workdir.WorkdirBusyError)


class CommandLineError(Exception):
  """A flag, config file or ``--config.<key>`` override that cannot be used."""


def one_line(error: BaseException) -> str:
  """The error's message on one line (ml_collections' messages span several lines and wrap
  a KeyError's text in an AttributeError; where a config file's ``get_config`` raised, they
  hold the whole traceback, of which only the exception's own message is kept)."""
  while error.args and isinstance(error.args[0], BaseException):
    error = error.args[0]
  text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
  head, folded, trace = text.partition("Error whilst parsing config file:")
  if folded:
    last = [line for line in trace.splitlines() if line.strip()][-1].strip()
    text = f"{head.strip()} {last.split(': ', 1)[-1]}"
  return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing with every failure, including those of config files and
  ``--config.<key>`` overrides (raised by ml_collections as KeyError, AttributeError, ...),
  turned into :class:`CommandLineError`."""
  try:
    rest = FLAGS(argv)
  except flags.Error as e:
    raise CommandLineError(one_line(e)) from e
  except OSError as e:
    raise CommandLineError(config_file_message(e)) from e
  except (KeyError, AttributeError) as e:
    raise CommandLineError(unknown_key_message(argv, e)) from e
  except (TypeError, ValueError) as e:
    raise CommandLineError(one_line(e)) from e
  for name in FLAGS:
    if FLAGS[name].present:
      try:
        getattr(FLAGS[name].value, "keys", None)  # a config file's load error shows on first use
      except OSError as e:
        raise CommandLineError(f"--{name}: {config_file_message(e)}") from e
  return rest


def config_file_message(error: OSError) -> str:
  """"cannot load config file: No such file or directory: 'configs/x.py'" from
  ml_collections' several-line report."""
  return "cannot load config file: " + one_line(error.__cause__ or error).rsplit("]", 1)[-1].strip()


def unknown_key_message(argv: list[str], error: BaseException) -> str:
  """``--config.train.epochz=3: unknown key 'epochz' (did you mean "epochs"?)``."""
  text = one_line(error)
  key = text.split(" ", 1)[0].strip("'\"")
  hint = text[text.index("Did you mean"):].replace("Did you mean", "did you mean", 1) \
      if "Did you mean" in text else ""
  arg = next((a for a in argv[1:] if a.split("=", 1)[0].endswith("." + key)), "")
  return (f"{arg}: " if arg else "") + f"unknown key {key!r}" + (f" ({hint})" if hint else "")


def run(main: Callable[[list[str]], None]) -> None:
  """``app.run(main)`` that reports USER_ERRORS and bad flags as one line (exit status 1), and
  a run stopped by SIGTERM / SIGINT (checkpoint saved) as one line with exit status 128 + signal."""
  debug = any(a in ("--debug", "--debug=true", "--debug=True") for a in sys.argv[1:])
  try:
    app.run(main, flags_parser=parse_flags)
  except checkpoint.Interrupted as e:
    print(e, file=sys.stderr)
    sys.exit(e.exit_code)
  except (CommandLineError,) + USER_ERRORS as e:
    if debug:
      raise
    print(f"error: {one_line(e)}", file=sys.stderr)
    sys.exit(1)
