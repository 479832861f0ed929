"""``make help`` lists every target of the Makefile with its ``##`` description."""
import pathlib
import re
import shutil
import subprocess

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_phony_target():
  makefile = (REPO_ROOT / "Makefile").read_text()
  targets = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
  done = subprocess.run(["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True,
                        check=True)
  listed = {line.split()[0]: line.split(None, 1)[1] for line in done.stdout.splitlines()}
  assert set(listed) == set(targets)
  assert all(description.strip() for description in listed.values())
