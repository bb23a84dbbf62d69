"""Loading of segmentation labels that never corrupts them silently.

mmseg's ``LoadAnnotations`` casts every label map to uint8 (a 16-bit label
300 becomes 44) and passes out-of-range labels on to the loss, which then
fails far from the cause. ``LoadSegAnnotations`` is a drop-in replacement
that keeps its semantics for valid data and, for the rest, warns once per
file and marks the pixels as ignored instead.
"""

import io
import warnings
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from PIL import Image

from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSegAnnotations(BaseTransform):
    """Load a semantic-segmentation label map, checking it.

    Like mmseg's ``LoadAnnotations`` (``reduce_zero_label``, custom-class
    ``label_map``), plus:

    * 8- and 16-bit single-channel PNGs are read exactly;
    * a label map with colour channels is an error naming the file;
    * labels that are not classes (``>= num_classes`` after reduction and
      not ``ignore_index``) become ``ignore_index``, with a warning naming
      the file and the values.

    Args:
        reduce_zero_label (bool, optional): Map 0 to ignore and shift the
            rest down by one (ADE20K). None takes the dataset's setting.
        num_classes (int, optional): Number of classes for the range check.
            None skips it.
        ignore_index (int): Label of ignored pixels. Defaults to 255.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(
        self,
        reduce_zero_label: Optional[bool] = None,
        num_classes: Optional[int] = None,
        ignore_index: int = 255,
        backend_args: Optional[dict] = None,
    ):
        self.reduce_zero_label = reduce_zero_label
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.backend_args = backend_args

    def read(self, path: str) -> np.ndarray:
        data = fileio.get(path, backend_args=self.backend_args)
        with Image.open(io.BytesIO(data)) as image:
            labels = np.array(image)
        if labels.ndim == 3 and labels.shape[2] == 1:
            labels = labels[..., 0]
        if labels.ndim != 2:
            raise ValueError(
                f'{path}: a label map must be a single-channel image of '
                f'class indices, got shape {labels.shape} (an RGB '
                f'visualisation?). Convert it to an 8- or 16-bit '
                f'greyscale PNG.'
            )
        return labels.astype(np.int64)

    def transform(self, results: Dict) -> Dict:
        path = results.get('seg_map_path')
        if path is None:  # an image without labels (an inferencer's input)
            return results
        labels = self.read(path)
        reduce = self.reduce_zero_label
        if reduce is None:
            reduce = results.get('reduce_zero_label', False)
        if reduce:  # 0 -> ignore, k -> k - 1, ignore stays ignore
            reduced = labels - 1
            reduced[(labels == 0) | (labels == self.ignore_index)] = (
                self.ignore_index
            )
            labels = reduced
        if results.get('label_map'):
            mapped = labels.copy()
            for old, new in results['label_map'].items():
                mapped[labels == old] = new
            labels = mapped
        if self.num_classes is not None:
            bad = (labels >= self.num_classes) & (labels != self.ignore_index)
            bad |= labels < 0
            if bad.any():
                values = np.unique(labels[bad])
                warnings.warn(
                    f'{path}: {int(bad.sum())} pixels have labels '
                    f'{values[:8].tolist()} outside the {self.num_classes} '
                    f'classes; they are ignored (set to '
                    f'{self.ignore_index}).',
                    stacklevel=2,
                )
                labels[bad] = self.ignore_index
        results['gt_seg_map'] = labels.astype(
            np.uint8 if labels.max(initial=0) <= 255 else np.int64
        )
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(reduce_zero_label='
            f'{self.reduce_zero_label}, num_classes={self.num_classes})'
        )
