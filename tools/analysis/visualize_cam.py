"""Class activation maps and per-stage feature maps of a classifier or a
segmentor, drawn over an image.

    python tools/analysis/visualize_cam.py CONFIG CKPT IMAGE --out cam.png
    python tools/analysis/visualize_cam.py CONFIG CKPT IMAGE --out cam.png \\
        --method eigencam --stage 2
    python tools/analysis/visualize_cam.py CONFIG CKPT IMAGE \\
        --out features.png --features

Methods (written here; the ``grad-cam`` package needs torchvision):

* ``hirescam`` (Draelos and Carin, 2020), the default for segmentors: the
  target score's gradient times the stage's feature maps, element by
  element, summed over channels, ReLU. Each location shows its own
  first-order contribution to the score, so a class predicted from one
  region lights up that region only.
* ``gradcam`` (Selvaraju et al., ICCV 2017), the default for classifiers:
  the feature maps weighted by the spatial *mean* of the gradient. For a
  segmentor this spreads the evidence of one region to every place with
  similar features (dense backbones end in a norm, so features are signed),
  which is why it is not the default there.
* ``eigencam`` (Muhammad and Yeasin, IJCNN 2020), gradient-free: the
  projection of the stage's feature maps on their first principal
  component, signed to agree with the mean activation.

The target is a class logit (``--target``, default the predicted class) of
a classifier; for a segmentor, the sum of that class's logits over the
pixels predicted as it (default: the most frequent predicted class). The
map is scaled by its maximum (zero stays zero); a map with no positive
evidence is drawn empty and says so. Titles name the class as the
checkpoint's or the config's dataset does.

``--features`` draws, for every backbone stage, the mean activation and the
first three principal components (as RGB) in a grid.
"""

import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a classifier or segmentor config')
    parser.add_argument(
        'checkpoint',
        help="the model's weights ('none': random weights, to try the tool)",
    )
    parser.add_argument('image', help='an image file')
    parser.add_argument('--out', required=True, help='the PNG to write')
    parser.add_argument(
        '--method',
        default=None,
        choices=['hirescam', 'gradcam', 'eigencam'],
        help='default: hirescam for a segmentor, gradcam for a classifier',
    )
    parser.add_argument(
        '--features',
        action='store_true',
        help='draw per-stage feature maps instead of a CAM',
    )
    parser.add_argument(
        '--stage',
        type=int,
        default=-1,
        help='backbone output the CAM is taken from (default: the last)',
    )
    parser.add_argument(
        '--target',
        type=int,
        default=None,
        help='class index (default: the predicted one)',
    )
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help='resize the image to this '
        '(default: 224x224 for a classifier, 512x512 for a '
        'segmentor)',
    )
    return parser.parse_args(argv)


def load_model(config: str, checkpoint: str):
    """The model of ``config`` with ``checkpoint`` loaded, in eval mode, its
    kind ('classifier' or 'segmentor') and its class names (None if
    unknown)."""
    from mmengine.runner import load_checkpoint

    from mmmeta.utils.cli import build_model_from_config

    model = build_model_from_config(config)
    meta = {}
    if checkpoint != 'none':
        loaded = load_checkpoint(
            model, checkpoint, map_location='cpu', strict=True
        )
        meta = loaded.get('meta', {}) if isinstance(loaded, dict) else {}
    names = {cls.__name__ for cls in type(model).__mro__}
    if 'BaseSegmentor' in names:
        kind = 'segmentor'
    elif 'BaseDetector' in names:
        raise NotImplementedError(
            'visualize_cam.py draws CAMs of classifiers and segmentors; for '
            'a detector use --features with its config, or a classifier / '
            'segmentor config of the same backbone'
        )
    else:
        kind = 'classifier'
    return model.eval(), kind, class_names(config, meta)


def class_names(config: str, meta: dict) -> Optional[Sequence[str]]:
    """The classes of the checkpoint's dataset (mmengine saves them in
    ``meta['dataset_meta']``), else of the config's test dataset (its
    ``metainfo``, else its dataset class's ``METAINFO``)."""
    classes = (meta.get('dataset_meta') or {}).get('classes')
    if classes:
        return tuple(classes)
    from mmengine.config import Config

    cfg = Config.fromfile(config)
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    while isinstance(dataset, dict) and 'dataset' in dataset:
        dataset = dataset['dataset']  # RepeatDataset and other wrappers
    if not isinstance(dataset, dict):
        return None
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes:
        return tuple(classes)
    from mmengine.registry import DATASETS

    dataset_type = dataset.get('type')
    scope = cfg.get('default_scope')
    try:
        from mmengine.registry import init_default_scope

        if scope:
            init_default_scope(scope)
        cls = (
            DATASETS.get(dataset_type)
            if isinstance(dataset_type, str)
            else dataset_type
        )
    except (KeyError, ImportError):
        cls = None
    classes = getattr(cls, 'METAINFO', {}).get('classes') if cls else None
    return tuple(classes) if classes else None


def class_label(target: int, classes: Optional[Sequence[str]]) -> str:
    if classes and 0 <= target < len(classes):
        return f"'{classes[target]}' (class {target})"
    return f'class {target}'


def load_image(
    model, path: str, shape: Tuple[int, int]
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


def forward_with_features(
    model, kind: str, x: torch.Tensor
) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """Scores (classifier: ``(1, K)``; segmentor: ``(1, K, h, w)``) and the
    backbone's stage outputs."""
    captured: Dict[str, tuple] = {}
    handle = model.backbone.register_forward_hook(
        lambda module, args, out: captured.setdefault('out', out)
    )
    try:
        scores = model(x, mode='tensor')
    finally:
        handle.remove()
    if isinstance(scores, (tuple, list)):
        scores = scores[-1]
    stages = [o for o in captured['out'] if o.dim() == 4]
    if not stages:
        raise ValueError(
            'the backbone returned no (B, C, H, W) maps: build '
            'it with out_indices that keep spatial outputs'
        )
    return scores, stages


def target_score(
    scores: torch.Tensor, kind: str, target: Optional[int]
) -> Tuple[torch.Tensor, int]:
    if kind == 'classifier':
        target = int(scores[0].argmax()) if target is None else target
        return scores[0, target], target
    predicted = scores[0].argmax(0)
    if target is None:
        target = int(predicted.flatten().mode().values)
    mask = (predicted == target).to(scores.dtype)
    return (scores[0, target] * mask).sum(), target


def grad_cam(feature: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
    """Grad-CAM of ``score`` on a ``(1, C, h, w)`` feature map: channels
    weighted by the spatial mean of the gradient."""
    (grad,) = torch.autograd.grad(score, feature)
    weights = grad.mean((2, 3), keepdim=True)
    return F.relu((weights * feature).sum(1))[0].detach()


def hires_cam(feature: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
    """HiResCAM of ``score`` on a ``(1, C, h, w)`` feature map: the
    gradient times the feature, element by element, summed over
    channels."""
    (grad,) = torch.autograd.grad(score, feature)
    return F.relu((grad * feature).sum(1))[0].detach()


CAMS = dict(gradcam=grad_cam, hirescam=hires_cam)


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
    signs = torch.sign(
        (maps.reshape(len(maps), -1) * (mean - mean.mean())).sum(1) + 1e-12
    )
    return maps * signs[:, None, None]


def eigen_cam(feature: torch.Tensor) -> torch.Tensor:
    return F.relu(principal_components(feature, 1)[0])


def to_image(
    heat: torch.Tensor, shape: Tuple[int, int], keep_zero: bool = False
) -> np.ndarray:
    """``heat`` resized to ``shape`` and scaled to [0, 1]: by its range, or
    by its maximum alone with ``keep_zero`` (a CAM, where zero means no
    evidence)."""
    heat = F.interpolate(
        heat[None, None].float(),
        size=shape,
        mode='bilinear',
        align_corners=False,
    )[0, 0]
    if not keep_zero:
        heat = heat - heat.min()
    return (heat.clamp_min(0) / heat.max().clamp_min(1e-12)).numpy()


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
    fig, axes = plt.subplots(
        len(stages), 3, figsize=(9, 3 * len(stages)), squeeze=False
    )
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

    model, kind, classes = load_model(args.config, args.checkpoint)
    shape = tuple(
        args.shape or ((224, 224) if kind == 'classifier' else (512, 512))
    )
    method = args.method or ('gradcam' if kind == 'classifier' else 'hirescam')
    rgb, x = load_image(model, args.image, shape)
    with torch.set_grad_enabled(method != 'eigencam' and not args.features):
        scores, stages = forward_with_features(model, kind, x)
        if args.features:
            draw_features(rgb, stages, args.out)
            return dict(kind=kind, stages=len(stages), out=args.out)
        feature = stages[args.stage]
        score, target = target_score(scores, kind, args.target)
        heat = (
            eigen_cam(feature)
            if method == 'eigencam'
            else CAMS[method](feature, score)
        )
    heat_image = to_image(heat, shape, keep_zero=True)
    title = (
        f'{method}, {class_label(target, classes)}, stage output {args.stage}'
    )
    if not heat.max() > 0:
        title += ': no positive evidence'
    draw_cam(rgb, heat_image, title, args.out)
    print(f'{args.out}: {title}')
    return dict(
        kind=kind,
        target=target,
        heat=heat_image,
        out=args.out,
        method=method,
        title=title,
    )


if __name__ == '__main__':
    sys.path.insert(
        0,
        os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        ),
    )
    main()
