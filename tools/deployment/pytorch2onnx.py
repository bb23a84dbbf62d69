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
time of both. ``--dynamic`` makes height and width dynamic (multiples of
32; batch 1). A whole model is exported in
``mode='tensor'`` (the raw head outputs, no post-processing). Needs
``pip install "mmmeta[deploy]"`` (onnx, onnxscript, onnxruntime).
"""
import argparse
import os
import sys
from typing import Dict


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='a model config')
    parser.add_argument('--backbone', help='or an mmmeta backbone, e.g. '
                        'PoolFormer (random weights unless --checkpoint)')
    parser.add_argument('--arch', help='arch of --backbone')
    parser.add_argument('--options', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='extra backbone arguments, Python literals')
    parser.add_argument('--checkpoint', help='weights to load (a training '
                        'checkpoint of the config, or backbone weights)')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'), help='example input (512 512)')
    parser.add_argument('--dynamic', action='store_true',
                        help='dynamic height and width (multiples of 32)')
    parser.add_argument('--backbone-only', action='store_true',
                        help="export only the config's backbone")
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument('--no-deploy', action='store_true',
                        help='export the model as trained (no '
                        'switch_to_deploy)')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed runs of each runtime')
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
        model = build_module(dict(type=args.backbone, arch=args.arch,
                                  **options))
        whole = False
    else:
        from mmmeta.utils.cli import build_model_from_config
        model = build_model_from_config(args.config)
        whole = not args.backbone_only
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu',
                        strict=True)
    if not whole and hasattr(model, 'backbone'):
        model = model.backbone
    model.eval()
    if not args.no_deploy:
        mmmeta.optimize_for_inference(model, compile=False)
    return model, whole


def main(argv=None) -> Dict[str, float]:
    args = parse_args(argv)
    from mmmeta.utils import onnx_export
    model, whole = build(args)
    shapes = [tuple(args.shape)]
    if args.dynamic:  # also another size than the traced one
        shapes.append(tuple(s + onnx_export.SIZE_MULTIPLE
                            for s in args.shape))
    function = onnx_export.TensorOutputs(model, whole).eval()
    torch_ms = {shape: onnx_export.time_torch(function, shape, args.repeats)
                for shape in shapes}
    onnx_export.export(model, args.out, args.shape, whole_model=whole,
                       dynamic=args.dynamic, opset=args.opset)
    onnx_export.check(args.out)
    results = {}
    for shape in shapes:
        result = onnx_export.compare(function, args.out, shape,
                                     repeats=args.repeats)
        result['torch_ms'] = torch_ms[shape]
        results[shape] = result
        print(f'{args.out}: input {shape[0]}x{shape[1]}, max relative '
              f'difference to PyTorch {result["max_rel_error"]:.2e}; '
              f'PyTorch {result["torch_ms"]:.1f} ms, onnxruntime '
              f'{result["onnxruntime_ms"]:.1f} ms')
    return results


if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    main()
