from . import functional, transforms  # noqa: F401
from .transforms import InterpolationMode  # noqa: F401
