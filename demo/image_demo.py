"""Run a trained mmmeta model on one image and save the drawn prediction,
through mmseg's ``MMSegInferencer`` or mmdet's ``DetInferencer``.

    python demo/image_demo.py IMAGE configs/fpn_poolformer_s12_ade20k.py \\
        CKPT --out-file seg.png
    python demo/image_demo.py IMAGE \\
        configs/poolformer/retinanet_poolformer_s12_fpn_1x_coco.py CKPT \\
        --out-file det.png --score-thr 0.3
"""

import argparse
import os
import os.path as osp
import sys
import tempfile
from typing import Dict


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image', help='an image file')
    parser.add_argument('config', help='a segmentor or detector config')
    parser.add_argument('checkpoint', help='its trained weights')
    parser.add_argument(
        '--out-file',
        required=True,
        help='the image to write; its extension says the '
        'format (.png, .jpg, ...)',
    )
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='detections below this score are not drawn',
    )
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='opacity of the drawn segmentation',
    )
    return parser.parse_args(argv)


def write_image(drawn: str, out_file: str) -> None:
    """Save the inferencer's drawing in the format ``out_file`` names (the
    inferencers write JPEG, whatever the name)."""
    from PIL import Image

    formats = {
        '.png': 'PNG',
        '.jpg': 'JPEG',
        '.jpeg': 'JPEG',
        '.bmp': 'BMP',
        '.webp': 'WEBP',
        '.tif': 'TIFF',
        '.tiff': 'TIFF',
    }
    ext = osp.splitext(out_file)[1].lower()
    if ext not in formats:
        raise ValueError(
            f'--out-file {out_file}: say the image format by '
            f'its extension, one of {sorted(formats)}'
        )
    with Image.open(drawn) as image:
        image.convert('RGB').save(out_file, format=formats[ext])


def task_of(config) -> str:
    scope = config.get('default_scope')
    if scope in ('mmseg', 'mmdet'):
        return scope
    raise ValueError(
        f'image_demo.py runs segmentors (mmseg) and detectors '
        f'(mmdet); this config has default_scope={scope!r}'
    )


def main(argv=None) -> Dict:
    args = parse_args(argv)
    from mmengine.config import Config

    import mmmeta  # noqa: F401  (registers the backbones)
    from mmmeta.utils.config_checks import convert_syncbn_to_bn

    for path, what in (
        (args.image, 'image'),
        (args.config, 'config'),
        (args.checkpoint, 'checkpoint'),
    ):
        if not osp.isfile(path):
            raise FileNotFoundError(f'no {what} at {path}')
    cfg = Config.fromfile(args.config)
    convert_syncbn_to_bn(cfg._cfg_dict)  # one process, maybe a CPU
    cfg.model.backbone.init_cfg = None  # the checkpoint has the weights
    task = task_of(cfg)
    out_dir = tempfile.mkdtemp(prefix='mmmeta_demo_')
    if task == 'mmseg':
        from mmseg.apis import MMSegInferencer

        inferencer = MMSegInferencer(cfg, args.checkpoint, device=args.device)
        inferencer(args.image, out_dir=out_dir, opacity=args.opacity)
    else:
        from mmdet.apis import DetInferencer

        inferencer = DetInferencer(cfg, args.checkpoint, device=args.device)
        inferencer(
            args.image,
            out_dir=out_dir,
            pred_score_thr=args.score_thr,
            no_save_pred=True,
        )
    drawn = [
        osp.join(root, name)
        for root, _, names in os.walk(out_dir)
        for name in names
        if name.lower().endswith(('.png', '.jpg'))
    ]
    if not drawn:
        raise RuntimeError(
            f'the {task} inferencer drew nothing into {out_dir}'
        )
    os.makedirs(osp.dirname(osp.abspath(args.out_file)), exist_ok=True)
    write_image(drawn[0], args.out_file)
    print(
        f'{args.out_file}: prediction of {osp.basename(args.config)} on '
        f'{args.image}'
    )
    return dict(task=task, out_file=args.out_file)


if __name__ == '__main__':
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    main()
