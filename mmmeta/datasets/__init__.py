"""Data-side robustness (needs mmcv; import ``mmmeta.datasets.transforms``
explicitly or through the registry)."""
