"""The paper study on top of the library: penalty sweeps (``sweep``), the experiment suite's
tables (``suite``, ``tables``) and the recipes' accuracy-vs-spikes fronts (``fronts``)."""
