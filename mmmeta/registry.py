"""mmmeta's registry scope.

``MODELS`` is a child of mmengine's root ``MODELS`` with the scope
``mmmeta``. Any OpenMMLab 2.x library (mmdet 3.x, mmseg 1.x, mmpretrain 1.x)
reaches it through the shared root: once ``mmmeta`` is imported (for example
with ``custom_imports=dict(imports=['mmmeta'])``), ``type='mmmeta.PoolFormer'``
builds from any of their registries.
"""

from typing import Any, Optional, Union

import mmengine.registry as mmengine_registry
from mmengine.registry import Registry


def _child(name: str, root: str, location: str) -> Registry:
    """mmmeta's child of one of mmengine's root registries."""
    return Registry(
        name,
        parent=getattr(mmengine_registry, root),
        scope='mmmeta',
        locations=[location],
    )


MODELS = _child('model', 'MODELS', 'mmmeta.models')
HOOKS = _child('hook', 'HOOKS', 'mmmeta.engine')
RUNNERS = _child('runner', 'RUNNERS', 'mmmeta.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'mmmeta.engine',
)
# Data transforms need mmcv; their module is imported on first use only.
TRANSFORMS = _child('transform', 'TRANSFORMS', 'mmmeta.datasets.transforms')


def build_module(
    cfg: Union[dict, type, None],
    *args: Any,
    registry: Optional[Registry] = None,
    **kwargs: Any,
) -> Any:
    """Build a sub-module of an mmmeta model from a config dict.

    Unlike ``Registry.build``, the lookup always starts in mmmeta's own scope,
    whatever ``default_scope`` the surrounding mmdet/mmseg runner set, so
    ``dict(type='Pooling')`` inside a backbone never resolves to another
    library's class of the same name.

    Args:
        cfg (dict | type | None): ``dict(type=name, **options)``, or a class.
            ``None`` gives ``None``.
        *args: Positional arguments passed to the constructor first.
        registry (Registry, optional): Where to look. Defaults to ``MODELS``.
        **kwargs: Extra keyword arguments (the config's own values win).

    Returns:
        The built object, or ``None`` when ``cfg`` is ``None``.
    """
    if cfg is None:
        return None
    registry = registry or MODELS
    if isinstance(cfg, type):
        return cfg(*args, **kwargs)
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(
            f'expected a config dict with a "type" key, got {cfg!r}'
        )
    options = dict(cfg)
    name = options.pop('type')
    if isinstance(name, type):
        cls = name
    else:
        cls = registry.get(name)
        if cls is None:
            known = ', '.join(sorted(registry.module_dict))
            raise KeyError(
                f'{name!r} is not registered in mmmeta; '
                f'registered names: {known}'
            )
    kwargs.update(options)
    return cls(*args, **kwargs)
