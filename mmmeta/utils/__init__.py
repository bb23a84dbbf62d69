"""Helpers for the tools (config checks, synthetic data). Importing this
package needs only torch and mmengine."""

from .config_checks import (
    check_data_roots,
    check_neck_channels,
    convert_syncbn_to_bn,
)

__all__ = ['check_data_roots', 'check_neck_channels', 'convert_syncbn_to_bn']
