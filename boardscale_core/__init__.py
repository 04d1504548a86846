"""The dependency-free bottom layer of boardscale: facts and helpers that every package needs and
that import only the standard library and NumPy (so `analysis` can use them without JAX).

- `boardscale_core.jones`: Jones's per-board snapshot bounds and sample caps, and his compute
  formulas (training and test-time FLOPs).
- `boardscale_core.files`: atomic file writing (readers see the old file or the whole new one).
"""
