"""Export a backbone or a whole detector / segmentor to ONNX and check it
in onnxruntime.

    python tools/deployment/pytorch2onnx.py \\
        configs/fpn_poolformer_s12_ade20k.py --checkpoint CKPT \\
        --out fpn_poolformer_s12.onnx --shape 512 512 --dynamic
    python tools/deployment/pytorch2onnx.py \\
        configs/fpn_poolformer_s12_ade20k.py --backbone-only \\
        --out poolformer_s12.onnx
    python tools/deployment/pytorch2onnx.py --backbone ConvFormer --arch s18 \\
        --out convformer_s18.onnx --dynamic

The model is re-parameterised first (``switch_to_deploy()``), exported with
torch's dynamo exporter (opset 18 unless ``--opset``), checked with
``onnx.checker`` and run in onnxruntime on the same input as PyTorch; the
tool prints the largest relative difference of the outputs and the median
time of both, and exits non-zero (after writing the file) when a difference
exceeds ``--tolerance``. ``--dynamic`` makes height and width dynamic
(multiples of 32; batch 1); the graph is then checked at the traced size
and at two others. A whole model is exported in
``mode='tensor'`` (the raw head outputs, no post-processing). Needs
``pip install -e ".[deploy]"`` in the checkout (onnx, onnxscript,
onnxruntime).
"""

import argparse
import os
import sys
from typing import Dict


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='a model config')
    parser.add_argument(
        '--backbone',
        help='or an mmmeta backbone, e.g. '
        'PoolFormer (random weights unless --checkpoint)',
    )
    parser.add_argument('--arch', help='arch of --backbone')
    parser.add_argument(
        '--options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='extra backbone arguments, Python literals',
    )
    parser.add_argument(
        '--checkpoint',
        help='weights to load (a training '
        'checkpoint of the config, or backbone weights)',
    )
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[512, 512],
        metavar=('H', 'W'),
        help='example input (512 512)',
    )
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='dynamic height and width (multiples of 32)',
    )
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help="export only the config's backbone",
    )
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument(
        '--no-deploy',
        action='store_true',
        help='export the model as trained (no switch_to_deploy)',
    )
    parser.add_argument(
        '--repeats', type=int, default=5, help='timed runs of each runtime'
    )
    parser.add_argument(
        '--tolerance',
        type=float,
        default=None,
        help='largest relative difference to PyTorch that '
        'passes (default 1e-4)',
    )
    args = parser.parse_args(argv)
    if bool(args.config) == bool(args.backbone):
        parser.error('give a config or --backbone (one of them)')
    return args


def build(args):
    """The model to export and whether it is a whole model."""
    from mmengine.runner import load_checkpoint

    import mmmeta

    if args.backbone:
        from mmmeta.registry import build_module
        from mmmeta.utils.cli import parse_options

        options = parse_options(args.options)
        if args.arch is not None:
            options['arch'] = args.arch
        model = build_module(dict(type=args.backbone, **options))
        whole = False
    else:
        from mmmeta.utils.cli import build_model_from_config

        model = build_model_from_config(args.config)
        whole = not args.backbone_only
    if args.checkpoint:
        load_checkpoint(
            model, args.checkpoint, map_location='cpu', strict=True
        )
    if not whole and hasattr(model, 'backbone'):
        model = model.backbone
    model.eval()
    if not args.no_deploy:
        mmmeta.optimize_for_inference(model, compile=False)
    return model, whole


class ParityError(RuntimeError):
    """The exported graph computes something else than the model."""


def main(argv=None) -> Dict:
    args = parse_args(argv)
    from mmmeta.utils import onnx_export

    model, whole = build(args)
    shapes = onnx_export.check_sizes(args.shape, args.dynamic)
    function = onnx_export.TensorOutputs(model, whole).eval()
    torch_ms = {
        shape: onnx_export.time_torch(function, shape, args.repeats)
        for shape in shapes
    }
    onnx_export.export(
        model,
        args.out,
        args.shape,
        whole_model=whole,
        dynamic=args.dynamic,
        opset=args.opset,
    )
    onnx_export.check(args.out)
    tolerance = (
        onnx_export.TOLERANCE if args.tolerance is None else args.tolerance
    )
    results, failed = {}, []
    for shape in shapes:
        result = onnx_export.compare(
            function, args.out, shape, repeats=args.repeats
        )
        result['torch_ms'] = torch_ms[shape]
        results[shape] = result
        print(
            f'{args.out}: input {shape[0]}x{shape[1]}, max relative '
            f'difference to PyTorch {result["max_rel_error"]:.2e}; '
            f'PyTorch {result["torch_ms"]:.1f} ms, onnxruntime '
            f'{result["onnxruntime_ms"]:.1f} ms'
        )
        if not result['max_rel_error'] <= tolerance:
            failed.append(
                f'{shape[0]}x{shape[1]} ({result["max_rel_error"]:.2e})'
            )
    if failed:
        raise ParityError(
            f'{args.out} does not compute what the model does at '
            f'{", ".join(failed)}: relative difference above {tolerance:g}'
            f'. Do not deploy it; export with a fixed size (drop '
            f'--dynamic) and report the model.'
        )
    return results


if __name__ == '__main__':
    sys.path.insert(
        0,
        os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        ),
    )
    try:
        main()
    except ParityError as error:
        sys.exit(f'error: {error}')
