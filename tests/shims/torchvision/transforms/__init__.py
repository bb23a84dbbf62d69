from . import functional, transforms  # noqa: F401
from .transforms import InterpolationMode  # noqa: F401


class RandomResizedCrop:
    """Stand-in base class: mmpretrain.datasets subclasses it at import
    (MAERandomResizedCrop); no test uses it."""
