"""How often a segmentor's per-pixel argmax in bfloat16 agrees with the
float32 reference path.

    python dev/bf16_agreement.py \\
        configs/demo/fpn_poolformer_s12_demo.py work_dirs/demo/iter_400.pth \\
        data/demo/ade/images/validation

Compares, on the segmentor's stride-4 logits, the float32 reference path of
the backbone (official op sequence) with the fast path under
``torch.autocast('cpu', torch.bfloat16)`` and with ``model.to(torch.bfloat16)``
and a bfloat16 input.
"""

import argparse
import copy
import glob
import os.path as osp

import numpy as np
import torch
from PIL import Image


def load_images(folder: str, size, limit: int) -> torch.Tensor:
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    images = []
    for path in sorted(glob.glob(osp.join(folder, '*')))[:limit]:
        image = Image.open(path).convert('RGB').resize(size[::-1])
        x = torch.from_numpy(np.asarray(image, np.float32)).permute(2, 0, 1)
        images.append((x - mean) / std)
    if not images:
        raise FileNotFoundError(f'no images in {folder}')
    return torch.stack(images)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', help='folder of images')
    parser.add_argument('--size', type=int, nargs=2, default=[160, 224])
    parser.add_argument('--limit', type=int, default=8)
    args = parser.parse_args(argv)

    from mmengine.runner import load_checkpoint
    from official_ops import use_reference

    from mmmeta.utils.cli import build_model_from_config

    model = build_model_from_config(args.config).eval()
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    x = load_images(args.images, args.size, args.limit)
    with torch.no_grad():
        reference = use_reference(copy.deepcopy(model))(x, mode='tensor')
        reference = reference.argmax(1)
        with torch.autocast('cpu', torch.bfloat16):
            autocast = model(x, mode='tensor').argmax(1)
        half = model.to(torch.bfloat16)(
            x.to(torch.bfloat16), mode='tensor'
        ).argmax(1)
    result = dict(
        pixels=reference.numel(),
        autocast=(autocast == reference).float().mean().item(),
        bfloat16=(half == reference).float().mean().item(),
    )
    print(
        f'{result["pixels"]} pixels: argmax agreement with the float32 '
        f'reference: autocast-bf16 {result["autocast"]:.4%}, '
        f'bfloat16 model {result["bfloat16"]:.4%}'
    )
    return result


if __name__ == '__main__':
    main()
