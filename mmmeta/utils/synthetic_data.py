"""Small procedurally drawn datasets in the real ADE20K and COCO layouts.

Each image shows a textured background and a few shapes; every class has
its own shape, colour range and texture, so a network can learn them in a
few hundred iterations on a CPU. The files are laid out exactly like the
real datasets, so the real configs run on them with only ``data_root``
(and, for a short run, the schedule) changed.

ADE20K layout (``reduce_zero_label``: 0 is "other", ignored)::

    ROOT/images/{training,validation}/ADE_{train,val}_000000NN.jpg
    ROOT/annotations/{training,validation}/ADE_{train,val}_000000NN.png

COCO layout (instances with polygon masks)::

    ROOT/train2017/*.jpg, ROOT/val2017/*.jpg
    ROOT/annotations/instances_{train,val}2017.json
"""

import json
import math
import os
import os.path as osp
from functools import partial
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw

#: The synthetic classes, named after real ADE20K classes (in ADE20K order,
#: so they map to the first entries of the real label set) ...
ADE20K_CLASSES = ('wall', 'building', 'sky', 'floor', 'tree')
#: ... and after COCO categories (id, name).
COCO_CATEGORIES = ((1, 'person'), (3, 'car'), (17, 'cat'), (44, 'bottle'))

# Per-class appearance: base RGB colour and texture kind.
_LOOKS = [
    ((150, 150, 140), 'noise'),  # background / first class
    ((200, 60, 50), 'stripes'),
    ((60, 120, 220), 'gradient'),
    ((230, 200, 60), 'checker'),
    ((40, 160, 70), 'dots'),
]


def _texture(
    color, kind: str, h: int, w: int, rng: np.random.Generator
) -> np.ndarray:
    """An ``(h, w, 3)`` uint8 texture of one class."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.array(color, np.float32)
    jitter = rng.uniform(-25, 25, size=3)
    if kind == 'stripes':
        pattern = ((yy // 4) % 2)[..., None] * 50.0
    elif kind == 'gradient':
        pattern = (yy / max(h - 1, 1))[..., None] * 60.0
    elif kind == 'checker':
        pattern = (((yy // 6) + (xx // 6)) % 2)[..., None] * 60.0
    elif kind == 'dots':
        pattern = (((yy % 7) < 3) & ((xx % 7) < 3))[..., None] * 60.0
    else:
        pattern = rng.normal(0, 12, size=(h, w, 1))
    noise = rng.normal(0, 8, size=(h, w, 3))
    return np.clip(base + jitter - 30 + pattern + noise, 0, 255).astype(
        np.uint8
    )


def _polygon(
    cls: int, cx: float, cy: float, r: float, rng: np.random.Generator
) -> List[Tuple[float, float]]:
    """Outline of the shape of class ``cls`` (1-based foreground class)."""
    if cls % 4 == 1:  # rectangle
        ax, ay = r * rng.uniform(0.7, 1.3), r * rng.uniform(0.6, 1.2)
        return [
            (cx - ax, cy - ay),
            (cx + ax, cy - ay),
            (cx + ax, cy + ay),
            (cx - ax, cy + ay),
        ]
    if cls % 4 == 2:  # ellipse
        ax, ay = r * rng.uniform(0.8, 1.2), r * rng.uniform(0.6, 1.0)
        return [
            (cx + ax * math.cos(t), cy + ay * math.sin(t))
            for t in np.linspace(0, 2 * math.pi, 24, endpoint=False)
        ]
    if cls % 4 == 3:  # triangle
        return [(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)]
    return [
        (
            cx + r * math.cos(t) * (1.0 if i % 2 else 0.5),
            cy + r * math.sin(t) * (1.0 if i % 2 else 0.5),
        )
        for i, t in enumerate(np.linspace(0, 2 * math.pi, 10, endpoint=False))
    ]  # star


def draw_scene(
    rng: np.random.Generator,
    height: int,
    width: int,
    num_classes: int,
    max_objects: int = 4,
):
    """Draw one image.

    Returns:
        image (H, W, 3) uint8, label map (H, W) uint8 with 0 = background,
        and the objects as ``(class, polygon)`` in drawing order.
    """
    image = _texture(*_LOOKS[0], height, width, rng)
    label = np.zeros((height, width), np.uint8)
    objects = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        cls = int(rng.integers(1, num_classes + 1))
        r = rng.uniform(0.12, 0.3) * min(height, width)
        cx, cy = rng.uniform(r, width - r), rng.uniform(r, height - r)
        poly = _polygon(cls, cx, cy, r, rng)
        mask_img = Image.new('L', (width, height), 0)
        ImageDraw.Draw(mask_img).polygon(poly, fill=1)
        mask = np.asarray(mask_img, bool)
        if mask.sum() < 16:
            continue
        look = _LOOKS[cls % len(_LOOKS) or 1]
        image[mask] = _texture(*look, height, width, rng)[mask]
        label[mask] = cls
        objects.append((cls, poly))
    return image, label, objects


def _clipped(poly, height: int, width: int):
    """A polygon's x and y coordinates, clipped to the image."""
    xs = [min(max(p[0], 0), width) for p in poly]
    ys = [min(max(p[1], 0), height) for p in poly]
    return xs, ys


def _scenes(rng, count: int, size: Tuple[int, int], num_classes: int):
    """``count`` numbered scenes (index, image, label, objects), each
    within 16 pixels of ``size`` in both sides."""
    for i in range(count):
        h = int(size[0] + rng.integers(-16, 17))
        w = int(size[1] + rng.integers(-16, 17))
        yield (i, *draw_scene(rng, h, w, num_classes))


def _write_ade20k(root: str, counts, size, rng) -> None:
    """Labels: 0 = "other" (ignored with ``reduce_zero_label``, drawn as a
    thin band around each image), k = ADE20K class k."""
    num_fg = len(ADE20K_CLASSES) - 1
    splits = (('training', 'train'), ('validation', 'val'))
    for (split, tag), count in zip(splits, counts):
        img_dir = osp.join(root, 'images', split)
        ann_dir = osp.join(root, 'annotations', split)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(ann_dir, exist_ok=True)
        for i, image, label, _ in _scenes(rng, count, size, num_fg):
            ade = label + 1  # background -> 'wall' (1), shapes -> 2..K
            ade[:2, :] = 0
            ade[-2:, :] = 0
            name = f'ADE_{tag}_{i + 1:08d}'
            Image.fromarray(image).save(
                osp.join(img_dir, f'{name}.jpg'), quality=95
            )
            Image.fromarray(ade).save(osp.join(ann_dir, f'{name}.png'))


def _write_coco(root: str, counts, size, rng) -> None:
    """Instances with boxes and polygon masks, :data:`COCO_CATEGORIES`."""
    categories = COCO_CATEGORIES
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for split, count in zip(('train2017', 'val2017'), counts):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        scenes = _scenes(rng, count, size, len(categories))
        for i, image, _, objects in scenes:
            h, w = image.shape[:2]
            image_id = i + 1
            file_name = f'{image_id:012d}.jpg'
            Image.fromarray(image).save(
                osp.join(root, split, file_name), quality=95
            )
            images.append(
                dict(id=image_id, file_name=file_name, height=h, width=w)
            )
            for cls, poly in objects:
                xs, ys = _clipped(poly, h, w)
                x0, y0 = min(xs), min(ys)
                bw, bh = max(xs) - x0, max(ys) - y0
                flat = [round(v, 2) for xy in zip(xs, ys) for v in xy]
                area = 0.5 * abs(
                    sum(
                        xs[j] * ys[j - 1] - xs[j - 1] * ys[j]
                        for j in range(len(xs))
                    )
                )
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=image_id,
                        category_id=categories[cls - 1][0],
                        segmentation=[flat],
                        area=round(area, 2),
                        bbox=[round(v, 2) for v in (x0, y0, bw, bh)],
                        iscrowd=0,
                    )
                )
        data: Dict = dict(
            images=images,
            annotations=annotations,
            categories=[
                dict(id=c, name=n, supercategory='thing')
                for c, n in categories
            ],
        )
        with open(
            osp.join(root, 'annotations', f'instances_{split}.json'), 'w'
        ) as f:
            json.dump(data, f)


def _write_imagenet(root: str, counts, size, rng) -> None:
    """Class folders (``train/<class>/*.jpg``, ``val/<class>/*.jpg``,
    mmpretrain's ``CustomDataset`` layout): one shape per image on a
    textured background, the class is the shape's."""
    classes = ADE20K_CLASSES[1:]
    for split, count in zip(('train', 'val'), counts):
        for i in range(count):
            cls = i % len(classes)
            height, width = size
            image = _texture(*_LOOKS[0], height, width, rng)
            r = rng.uniform(0.25, 0.4) * min(height, width)
            cx = rng.uniform(r, width - r)
            cy = rng.uniform(r, height - r)
            mask_img = Image.new('L', (width, height), 0)
            ImageDraw.Draw(mask_img).polygon(
                _polygon(cls + 1, cx, cy, r, rng), fill=1
            )
            mask = np.asarray(mask_img, bool)
            look = _LOOKS[(cls + 1) % len(_LOOKS) or 1]
            image[mask] = _texture(*look, height, width, rng)[mask]
            folder = osp.join(root, split, classes[cls])
            os.makedirs(folder, exist_ok=True)
            Image.fromarray(image).save(
                osp.join(folder, f'{split}_{i:05d}.jpg'), quality=95
            )


#: kind -> (writer, default (train, val) counts, default image size)
_DATASETS = {
    'ade20k': (_write_ade20k, (60, 12), (160, 224)),
    'coco': (_write_coco, (40, 10), (192, 256)),
    'imagenet': (_write_imagenet, (40, 10), (96, 96)),
}


def make_dataset(
    kind: str,
    root: str,
    num_train: Optional[int] = None,
    num_val: Optional[int] = None,
    size: Optional[Tuple[int, int]] = None,
    seed: int = 0,
) -> str:
    """Write a synthetic dataset and return its root.

    Args:
        kind (str): ``'ade20k'`` (:data:`ADE20K_CLASSES`), ``'coco'``
            (:data:`COCO_CATEGORIES`) or ``'imagenet'`` (class folders).
        root (str): Output folder (the config's ``data_root``).
        num_train (int, optional): Training images (default per kind).
        num_val (int, optional): Validation images (default per kind).
        size (tuple[int, int], optional): Image (h, w); scenes vary by up
            to 16 pixels around it. Defaults per kind.
        seed (int): Random seed. Defaults to 0.
    """
    if kind not in _DATASETS:
        raise ValueError(
            f'unknown synthetic dataset {kind!r}; '
            f'choose from {list(_DATASETS)}'
        )
    write, (train, val), default_size = _DATASETS[kind]
    counts = (
        train if num_train is None else num_train,
        val if num_val is None else num_val,
    )
    write(root, counts, size or default_size, np.random.default_rng(seed))
    return root


make_ade20k = partial(make_dataset, 'ade20k')
make_coco = partial(make_dataset, 'coco')
make_imagenet = partial(make_dataset, 'imagenet')


def training_batch(
    task: str,
    batch_size: int,
    size: Tuple[int, int],
    num_classes: int,
    seed: int = 0,
) -> Dict:
    """A batch of drawn scenes for a model's ``data_preprocessor`` and
    ``train_step``, without files: ``inputs`` (uint8 ``(3, H, W)``) and
    ``data_samples`` with their ground truth.

    Args:
        task (str): ``'seg'`` (``SegDataSample.gt_sem_seg``, 0 = the
            background class), ``'det'`` (``DetDataSample.gt_instances``:
            boxes and labels) or ``'det-mask'`` (also bitmap masks).
        batch_size (int): Images.
        size (tuple[int, int]): Image (h, w).
        num_classes (int): Classes of the model's head; at most 8 of them
            are drawn.
        seed (int): Random seed. Defaults to 0.
    """
    import torch
    from mmengine.structures import InstanceData, PixelData

    if task not in ('seg', 'det', 'det-mask'):
        raise ValueError(
            f"task must be 'seg', 'det' or 'det-mask', not {task!r}"
        )
    rng = np.random.default_rng(seed)
    h, w = size
    drawn = min(num_classes - (task == 'seg'), 8)
    inputs, samples = [], []
    for _ in range(batch_size):
        image, label, objects = draw_scene(rng, h, w, drawn)
        inputs.append(torch.from_numpy(image).permute(2, 0, 1).contiguous())
        meta = dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1, 1))
        if task == 'seg':
            from mmseg.structures import SegDataSample

            sample = SegDataSample(metainfo=meta)
            label = torch.from_numpy(label.astype(np.int64))[None]
            sample.gt_sem_seg = PixelData(data=label)
        else:
            from mmdet.structures import DetDataSample
            from mmdet.structures.mask import BitmapMasks

            sample = DetDataSample(metainfo=meta)
            boxes, masks = [], []
            for _, poly in objects:
                xs, ys = _clipped(poly, h, w)
                boxes.append([min(xs), min(ys), max(xs), max(ys)])
                mask = Image.new('L', (w, h), 0)
                ImageDraw.Draw(mask).polygon(poly, fill=1)
                masks.append(np.asarray(mask, np.uint8))
            gt = InstanceData(
                bboxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
                labels=torch.tensor([cls - 1 for cls, _ in objects]),
            )
            if task == 'det-mask':
                masks = np.stack(masks) if masks else np.zeros((0, h, w))
                gt.masks = BitmapMasks(masks.astype(np.uint8), h, w)
            sample.gt_instances = gt
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
