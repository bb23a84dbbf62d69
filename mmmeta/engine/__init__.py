"""Training safety for long runs (atomic checkpoint files, a stop on a
non-finite loss, early config and data checks, all through
``mmmeta.SafeRunner``) and layer-wise learning-rate decay. Needs only
mmengine."""

from .fileio import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend
from .hooks import InferenceOptimizeHook, NonFiniteLossHook
from .optim import LayerDecayOptimWrapperConstructor
from .runner import SAFE_RUNNER, SafeRunner, build_runner, prepare_config

__all__ = [
    'AtomicLocalBackend',
    'ATOMIC_LOCAL_BACKEND',
    'NonFiniteLossHook',
    'InferenceOptimizeHook',
    'LayerDecayOptimWrapperConstructor',
    'SafeRunner',
    'SAFE_RUNNER',
    'prepare_config',
    'build_runner',
]
