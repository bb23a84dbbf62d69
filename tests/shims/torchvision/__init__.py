"""Test-only stand-in for torchvision (see ../README.md)."""

from . import ops, transforms  # noqa: F401

__version__ = '0.0.0+mmmeta.test.shim'
