"""``mmmeta.ImageClassifier``: mmpretrain's ``ImageClassifier`` that also
reads the official ImageNet checkpoints of every family as they are
released.

A state dict in an official layout (sail-sg, timm, TransNeXt, FFNet; the
whole classifier, ``head`` included) is converted when it is loaded, so

    python tools/test.py configs/classification/caformer_s18_in1k.py \\
        https://huggingface.co/sail/dl/resolve/main/caformer/caformer_s18.pth

evaluates the released file. mmpretrain is imported when the classifier is
built, not when mmmeta is.
"""

from functools import lru_cache

from ..registry import MODELS
from .utils.checkpoint import CheckpointError
from .utils.layouts import LAYOUTS, detect_layout, to_mmpretrain_classifier

#: Parts of an mmpretrain classifier's state dict that no official layout
#: has (timm's files do have ``head.fc.``).
_MMPRETRAIN_PARTS = ('backbone.', 'neck.', 'data_preprocessor.')


def convert_official_classifier(state_dict: dict) -> dict:
    """An official classifier's state dict laid out as an mmpretrain
    ``ImageClassifier`` of mmmeta's (``backbone``, ``neck``, ``head``).

    Raises:
        CheckpointError: The layout is not one mmmeta knows.
    """
    layout = LAYOUTS[detect_layout(state_dict)]
    return to_mmpretrain_classifier(layout.convert(state_dict))


@lru_cache(maxsize=None)
def _classifier_class() -> type:
    from mmpretrain.models import ImageClassifier

    class OfficialCheckpointClassifier(ImageClassifier):
        """mmpretrain's ``ImageClassifier``; official checkpoints are
        converted when loaded (see ``mmmeta.models.classifier``)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._register_load_state_dict_pre_hook(self._convert_official)

        @staticmethod
        def _convert_official(state_dict, prefix, *args) -> None:
            keys = [k for k in state_dict if k.startswith(prefix)]
            local = {k[len(prefix) :]: state_dict[k] for k in keys}
            if not local or any(
                k.startswith(_MMPRETRAIN_PARTS) for k in local
            ):
                return  # mmpretrain's own layout
            try:
                converted = convert_official_classifier(local)
            except CheckpointError:
                return  # let load_state_dict report the keys
            for key in keys:
                del state_dict[key]
            state_dict.update({prefix + k: v for k, v in converted.items()})

    return OfficialCheckpointClassifier


@MODELS.register_module(name='ImageClassifier')
def build_image_classifier(**kwargs):
    """``mmmeta.ImageClassifier``: mmpretrain's ``ImageClassifier`` that
    reads official checkpoints (see the module docstring)."""
    return _classifier_class()(**kwargs)
