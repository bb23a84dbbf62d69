"""Parameters and FLOPs of a backbone or of a whole model config.

    python tools/analysis/get_flops.py --backbone CAFormer --arch s18
    python tools/analysis/get_flops.py configs/fpn_poolformer_s12_ade20k.py \\
        --shape 512 512

FLOPs are counted as multiply-accumulates (one per fused multiply-add), with
mmengine's fvcore-style analyzer, as the PoolFormer/MetaFormer papers report
them ("MACs"). ``F.scaled_dot_product_attention`` is counted as its two
matrix products (``q @ k.T`` and ``attn @ v``).
"""

import argparse
import os
import sys
from math import prod
from typing import Any, List

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """MACs of scaled dot-product attention: (B, h, N, d) x (B, h, M, d)."""
    q, k, v = (get_shape(t) for t in inputs[:3])
    return prod(q[:-1]) * k[-2] * q[-1] + prod(q[:-1]) * k[-2] * v[-1]


def count(model: torch.nn.Module, inputs) -> dict:
    """Parameters and MACs of ``model`` on ``inputs``."""
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return dict(params=parameter_count(model)[''], macs=analyzer.total())


class _TensorMode(torch.nn.Module):
    """Wrap an OpenMMLab model so tracing runs ``forward(x, mode='tensor')``
    (the network without pre- and post-processing)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, mode='tensor')


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='model config')
    parser.add_argument('--backbone', help='mmmeta backbone (no config)')
    parser.add_argument('--arch', help='arch of --backbone')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help='input size (224 224 for a backbone, 512 512 for a config)',
    )
    parser.add_argument(
        '--deploy',
        action='store_true',
        help='count the backbone after switch_to_deploy() '
        '(FFNet: BN and parallel branches folded)',
    )
    args = parser.parse_args(argv)
    if bool(args.config) == bool(args.backbone):
        parser.error('give a config or --backbone (and --arch)')
    import mmmeta  # noqa: F401
    from mmmeta.registry import build_module

    results = {}
    if args.backbone:
        shape = args.shape or [224, 224]
        backbone = build_module(dict(type=args.backbone, arch=args.arch))
        name = f'{args.backbone}-{args.arch}'
    else:
        from mmmeta.utils.cli import build_model_from_config

        shape = args.shape or [512, 512]
        model = build_model_from_config(args.config).eval()
        backbone = model.backbone
        name = os.path.basename(args.config)
    x = torch.randn(1, 3, *shape)
    backbone.eval()
    if args.deploy:
        backbone.switch_to_deploy()
    with torch.no_grad():
        results['backbone'] = count(backbone, (x,))
        if args.config:
            try:
                results['model'] = count(_TensorMode(model), (x,))
            except Exception as err:  # some heads need data samples
                print(f'(whole model not traced: {type(err).__name__}: {err})')
                results['model'] = dict(
                    params=parameter_count(model)[''], macs=float('nan')
                )
    print(f'{name}, input {shape[0]}x{shape[1]}:')
    for part, value in results.items():
        print(
            f'  {part:>8}: {value["params"] / 1e6:8.2f} M params  '
            f'{value["macs"] / 1e9:8.3f} GMACs'
        )
    return results


if __name__ == '__main__':
    sys.path.insert(
        0,
        os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        ),
    )
    main()
