"""Generic layers of the MetaFormer core, shared by every family.

Family-specific layers live in their family's folder
(``mmmeta/models/backbones/<family>/layers.py``).
"""

from .activations import GELU, SquaredReLU, StarReLU, apply_activation, gelu
from .blocks import MetaFormerBlock
from .conv import Conv2d, depthwise_conv
from .conv_bn import (
    BNConvSkip,
    ConvBN,
    RepDWConv,
    StripRepDWConv,
    run_conv,
    sum_of_convs,
)
from .embed import Downsampling, Stem, embedding
from .layout import nchw_view, nhwc_view, pointwise, to_pair
from .mlp import (
    AddsThroughOutputProjection,
    Mlp,
    ProjectionEnds,
    fold_affine_into_linear,
    linear_add_to,
    scale_linear_output,
)
from .norms import (
    BatchNormNHWC,
    ChannelLayerNorm,
    GroupNorm1,
    build_norm,
    take_affine,
)
from .reparam import (
    Fusable,
    Reparameterizable,
    deploy_children,
    switch_to_deploy,
)
from .residual import DropPath, Scale
from .token_mixers import Identity, Pooling

__all__ = [
    'GELU',
    'SquaredReLU',
    'StarReLU',
    'apply_activation',
    'gelu',
    'MetaFormerBlock',
    'Conv2d',
    'depthwise_conv',
    'BNConvSkip',
    'ConvBN',
    'RepDWConv',
    'StripRepDWConv',
    'run_conv',
    'sum_of_convs',
    'Downsampling',
    'Stem',
    'embedding',
    'nchw_view',
    'nhwc_view',
    'pointwise',
    'to_pair',
    'Mlp',
    'ProjectionEnds',
    'fold_affine_into_linear',
    'AddsThroughOutputProjection',
    'linear_add_to',
    'scale_linear_output',
    'BatchNormNHWC',
    'ChannelLayerNorm',
    'GroupNorm1',
    'build_norm',
    'take_affine',
    'Fusable',
    'Reparameterizable',
    'deploy_children',
    'switch_to_deploy',
    'DropPath',
    'Scale',
    'Identity',
    'Pooling',
]
