"""Reading checkpoints safely and converting their key layouts."""

from .checkpoint import (
    CheckpointError,
    extract_state_dict,
    fit_state_dict,
    load_pretrained,
    read_checkpoint,
)
from .layouts import (
    LAYOUTS,
    CheckpointLayout,
    convert_any,
    convert_checkpoint,
    detect_layout,
    register_layout,
    to_mmpretrain_classifier,
)

__all__ = [
    'CheckpointError',
    'read_checkpoint',
    'extract_state_dict',
    'fit_state_dict',
    'load_pretrained',
    'LAYOUTS',
    'CheckpointLayout',
    'convert_any',
    'convert_checkpoint',
    'detect_layout',
    'register_layout',
    'to_mmpretrain_classifier',
]
