from . import boxes  # noqa: F401
