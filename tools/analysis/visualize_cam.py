"""Class activation maps and per-stage feature maps of a classifier or a
segmentor, drawn over an image.

    python tools/analysis/visualize_cam.py CONFIG CKPT IMAGE --out cam.png
    python tools/analysis/visualize_cam.py CONFIG CKPT IMAGE --out cam.png \\
        --method eigencam --stage 2
    python tools/analysis/visualize_cam.py CONFIG CKPT IMAGE \\
        --out features.png --features

Methods (written here; the ``grad-cam`` package needs torchvision):

* ``gradcam`` (Selvaraju et al., ICCV 2017): the backbone stage's feature
  maps weighted by the spatial mean of the target score's gradient, summed
  over channels, ReLU. The target is a class logit (``--target``, default
  the predicted class) of a classifier; for a segmentor, the sum of that
  class's logits over the pixels predicted as it (default: the most
  frequent predicted class).
* ``eigencam`` (Muhammad and Yeasin, IJCNN 2020), gradient-free: the
  projection of the stage's feature maps on their first principal
  component, signed to agree with the mean activation.

``--features`` draws, for every backbone stage, the mean activation and the
first three principal components (as RGB) in a grid.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a classifier or segmentor config')
    parser.add_argument('checkpoint', help="the model's weights ('none': "
                        'random weights, to try the tool)')
    parser.add_argument('image', help='an image file')
    parser.add_argument('--out', required=True, help='the PNG to write')
    parser.add_argument('--method', default='gradcam',
                        choices=['gradcam', 'eigencam'])
    parser.add_argument('--features', action='store_true',
                        help='draw per-stage feature maps instead of a CAM')
    parser.add_argument('--stage', type=int, default=-1,
                        help='backbone output the CAM is taken from '
                        '(default: the last)')
    parser.add_argument('--target', type=int, default=None,
                        help='class index (default: the predicted one)')
    parser.add_argument('--shape', type=int, nargs=2, default=None,
                        metavar=('H', 'W'), help='resize the image to this '
                        '(default: 224x224 for a classifier, 512x512 for a '
                        'segmentor)')
    return parser.parse_args(argv)


def load_model(config: str, checkpoint: str):
    """The model of ``config`` with ``checkpoint`` loaded, in eval mode, and
    its kind ('classifier' or 'segmentor')."""
    from mmengine.runner import load_checkpoint

    from mmmeta.utils.cli import build_model_from_config
    model = build_model_from_config(config)
    if checkpoint != 'none':
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    names = {cls.__name__ for cls in type(model).__mro__}
    if 'BaseSegmentor' in names:
        kind = 'segmentor'
    elif 'BaseDetector' in names:
        raise NotImplementedError(
            'visualize_cam.py draws CAMs of classifiers and segmentors; for '
            'a detector use --features with its config, or a classifier / '
            'segmentor config of the same backbone')
    else:
        kind = 'classifier'
    return model.eval(), kind


def load_image(model, path: str, shape: Tuple[int, int]
               ) -> Tuple[np.ndarray, torch.Tensor]:
    """The RGB image resized to ``shape`` (uint8, HxWx3) and the normalised
    input tensor, as the model's data preprocessor would make it."""
    from PIL import Image
    if not osp.isfile(path):
        raise FileNotFoundError(f'no image at {path}')
    rgb = np.asarray(Image.open(path).convert('RGB').resize(shape[::-1]))
    x = torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)
    pre = model.data_preprocessor
    if not getattr(pre, '_channel_conversion', True):
        x = x.flip(0)  # the model was trained on BGR input
    if getattr(pre, '_enable_normalize', False):
        x = (x - pre.mean.view(-1, 1, 1)) / pre.std.view(-1, 1, 1)
    return rgb, x[None]


def forward_with_features(model, kind: str, x: torch.Tensor
                          ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """Scores (classifier: ``(1, K)``; segmentor: ``(1, K, h, w)``) and the
    backbone's stage outputs."""
    captured: Dict[str, tuple] = {}
    handle = model.backbone.register_forward_hook(
        lambda module, args, out: captured.setdefault('out', out))
    try:
        scores = model(x, mode='tensor')
    finally:
        handle.remove()
    if isinstance(scores, (tuple, list)):
        scores = scores[-1]
    stages = [o for o in captured['out'] if o.dim() == 4]
    if not stages:
        raise ValueError('the backbone returned no (B, C, H, W) maps: build '
                         'it with out_indices that keep spatial outputs')
    return scores, stages


def target_score(scores: torch.Tensor, kind: str,
                 target: Optional[int]) -> Tuple[torch.Tensor, int]:
    if kind == 'classifier':
        target = int(scores[0].argmax()) if target is None else target
        return scores[0, target], target
    predicted = scores[0].argmax(0)
    if target is None:
        target = int(predicted.flatten().mode().values)
    mask = (predicted == target).to(scores.dtype)
    return (scores[0, target] * mask).sum(), target


def grad_cam(feature: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
    """Grad-CAM of ``score`` on a ``(1, C, h, w)`` feature map."""
    (grad, ) = torch.autograd.grad(score, feature)
    weights = grad.mean((2, 3), keepdim=True)
    return F.relu((weights * feature).sum(1))[0].detach()


def principal_components(feature: torch.Tensor, k: int) -> torch.Tensor:
    """The first ``k`` principal-component maps ``(k, h, w)`` of a
    ``(1, C, h, w)`` feature map, each signed to agree with the mean
    activation."""
    _, c, h, w = feature.shape
    flat = feature[0].detach().reshape(c, h * w).t()  # pixels x channels
    centred = flat - flat.mean(0)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    maps = (centred @ v[:k].t()).t().reshape(-1, h, w)
    mean = feature[0].detach().mean(0).flatten()
    signs = torch.sign((maps.reshape(len(maps), -1) * (
        mean - mean.mean())).sum(1) + 1e-12)
    return maps * signs[:, None, None]


def eigen_cam(feature: torch.Tensor) -> torch.Tensor:
    return F.relu(principal_components(feature, 1)[0])


def to_image(heat: torch.Tensor, shape: Tuple[int, int]) -> np.ndarray:
    """``heat`` resized to ``shape`` and scaled to [0, 1]."""
    heat = F.interpolate(heat[None, None].float(), size=shape,
                         mode='bilinear', align_corners=False)[0, 0]
    heat = heat - heat.min()
    return (heat / heat.max().clamp_min(1e-12)).numpy()


def draw_cam(rgb: np.ndarray, heat: np.ndarray, title: str, out: str):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.3))
    axes[0].imshow(rgb)
    axes[0].set_title('image')
    axes[1].imshow(rgb)
    axes[1].imshow(heat, cmap='jet', alpha=0.5)
    axes[1].set_title(title)
    for ax in axes:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def draw_features(rgb: np.ndarray, stages: List[torch.Tensor], out: str):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    shape = rgb.shape[:2]
    fig, axes = plt.subplots(len(stages), 3, figsize=(9, 3 * len(stages)),
                             squeeze=False)
    for row, feature in zip(axes, stages):
        mean = to_image(feature[0].detach().mean(0), shape)
        components = principal_components(feature, 3)
        pca = np.stack([to_image(m, shape) for m in components], -1)
        _, c, h, w = feature.shape
        row[0].imshow(rgb)
        row[0].set_title(f'{c} channels at {h}x{w}')
        row[1].imshow(mean, cmap='viridis')
        row[1].set_title('mean activation')
        row[2].imshow(pca)
        row[2].set_title('principal components 1-3 (RGB)')
        for ax in row:
            ax.axis('off')
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    import mmmeta  # noqa: F401  (registers the backbones)
    model, kind = load_model(args.config, args.checkpoint)
    shape = tuple(args.shape or ((224, 224) if kind == 'classifier'
                                 else (512, 512)))
    rgb, x = load_image(model, args.image, shape)
    with torch.set_grad_enabled(args.method == 'gradcam'
                                and not args.features):
        scores, stages = forward_with_features(model, kind, x)
        if args.features:
            draw_features(rgb, stages, args.out)
            return dict(kind=kind, stages=len(stages), out=args.out)
        feature = stages[args.stage]
        score, target = target_score(scores, kind, args.target)
        heat = (grad_cam(feature, score) if args.method == 'gradcam' else
                eigen_cam(feature))
    heat_image = to_image(heat, shape)
    title = f'{args.method}, class {target}, stage output {args.stage}'
    draw_cam(rgb, heat_image, title, args.out)
    print(f'{args.out}: {title}')
    return dict(kind=kind, target=target, heat=heat_image, out=args.out)


if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    main()
