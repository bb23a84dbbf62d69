"""Training safety for long runs: atomic checkpoint files and a stop on a
non-finite loss. Needs only mmengine."""
from .fileio import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend
from .hooks import NonFiniteLossHook
from .optim import LayerDecayOptimWrapperConstructor

__all__ = [
    'AtomicLocalBackend', 'ATOMIC_LOCAL_BACKEND', 'NonFiniteLossHook',
    'LayerDecayOptimWrapperConstructor'
]
