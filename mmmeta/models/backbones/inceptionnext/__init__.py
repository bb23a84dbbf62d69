"""InceptionNeXt.

Yu, Zhou, Yan, Wang, "InceptionNeXt: When Inception Meets ConvNeXt",
CVPR 2024. Official code (Apache-2.0): https://github.com/sail-sg/inceptionnext
"""

from ...utils.families import register_family
from . import converter  # noqa: F401  (registers the checkpoint layout)
from .backbone import InceptionNeXt
from .layers import InceptionDWConv, MetaNeXtBlock

__all__ = ['InceptionNeXt', 'InceptionDWConv', 'MetaNeXtBlock']

register_family(
    'InceptionNeXt',
    'InceptionNeXt: When Inception Meets ConvNeXt',
    arxiv='2303.16900',
    code='sail-sg/inceptionnext',
)
