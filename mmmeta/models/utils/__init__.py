from .checkpoint import (
                         CheckpointError,
                         extract_state_dict,
                         fit_state_dict,
                         load_pretrained,
                         read_checkpoint,
)
from .ckpt_convert import convert_metaformer, detect_metaformer_layout

__all__ = [
    'CheckpointError', 'read_checkpoint', 'extract_state_dict',
    'fit_state_dict', 'load_pretrained', 'convert_metaformer',
    'detect_metaformer_layout'
]
