"""Safe, strict loading of pretrained backbone weights.

Everything here reads files with ``torch.load(..., weights_only=True)``: a
checkpoint can hold tensors and plain containers, never code. A file that
needs arbitrary unpickling is refused with an explanation instead of being
executed.

Loading is strict about the backbone: every backbone parameter must come
from the file with the right shape, and no backbone-looking key may be left
over. Only classification-head keys are dropped silently, and only the keys
a model declares optional (the new per-output norms of a dense backbone)
may be absent.
"""

import os
import os.path as osp
import pickle
from typing import Callable, Dict, Iterable, List, Mapping, Optional
from urllib.error import URLError

import torch
from mmengine.logging import print_log
from torch import nn

StateDict = Dict[str, torch.Tensor]

#: Container keys under which training scripts store the weights.
WRAPPER_KEYS = ('state_dict', 'model', 'module', 'state_dict_ema')


#: mmengine's model-zoo URL schemes (other networks' weights).
ZOO_SCHEMES = (
    'open-mmlab://',
    'openmmlab://',
    'torchvision://',
    'mmcls://',
    'pavi://',
    'modelzoo://',
)


class CheckpointError(ValueError):
    """A checkpoint cannot be read or does not fit the model."""


def _short_list(items: Iterable, limit: int = 12) -> str:
    items = list(items)
    text = ', '.join(str(i) for i in items[:limit])
    if len(items) > limit:
        text += f', ... ({len(items) - limit} more)'
    return text


def download_checkpoint(url: str) -> str:
    """Download ``url`` once into torch hub's checkpoint cache; return the
    local path."""
    cache_dir = osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(cache_dir, exist_ok=True)
    path = osp.join(cache_dir, osp.basename(url.split('?')[0]))
    if not osp.exists(path):
        try:
            torch.hub.download_url_to_file(url, path, progress=True)
        except (URLError, OSError, RuntimeError) as err:
            raise CheckpointError(
                f'Could not download pretrained weights from {url} ({err}). '
                f'Download the file yourself and set '
                f'init_cfg=dict(type="Pretrained", checkpoint="/local/path"), '
                f'or set init_cfg=None to start from random weights, e.g. '
                f'--cfg-options model.backbone.init_cfg=None'
            ) from err
    return path


def read_checkpoint(
    source: str, map_location='cpu', trusted: bool = False
) -> Mapping:
    """Read a checkpoint file or URL without running any code from it.

    Args:
        source (str): A local path, or an ``http(s)://`` URL (cached in
            ``$TORCH_HOME/hub/checkpoints``). ``.safetensors`` files are read
            with safetensors.
        map_location: Where to put the tensors. Defaults to ``'cpu'``.
        trusted (bool): Unpickle arbitrary objects (``weights_only=False``).
            Only for files you trust: unpickling can run code. Defaults to
            False.

    Returns:
        The loaded object (usually a dict).

    Raises:
        CheckpointError: The file is missing, truncated, not a checkpoint, or
            needs code execution to unpickle.
    """
    path = str(source)
    if path.startswith(('http://', 'https://')):
        path = download_checkpoint(path)
    elif path.startswith(ZOO_SCHEMES):
        raise CheckpointError(
            f'{path} names a checkpoint of an OpenMMLab or torchvision model '
            f'zoo (weights of another network, e.g. ResNet); mmmeta '
            f"backbones load their own families' files. This usually is "
            f'model.pretrained of an upstream _base_ model config: set '
            f'model.pretrained=None and give the backbone init_cfg=dict('
            f'type="Pretrained", checkpoint=...) (or init_cfg=None).'
        )
    if not osp.isfile(path):
        raise CheckpointError(
            f'Checkpoint file {path} does not exist. Pass an existing file '
            f'or URL in init_cfg.checkpoint, or set init_cfg=None.'
        )
    if path.endswith('.safetensors'):
        try:
            from safetensors.torch import load_file
        except ImportError as err:
            raise CheckpointError(
                f'{path} is a safetensors file; install '
                f'"safetensors" to read it.'
            ) from err
        try:
            return load_file(path, device=str(map_location))
        except Exception as err:  # safetensors raises its own error types
            raise CheckpointError(
                f'{path} is not a readable safetensors file: {err}'
            ) from err
    try:
        return torch.load(
            path, map_location=map_location, weights_only=not trusted
        )
    except pickle.UnpicklingError as err:
        if 'Weights only load failed' in str(err):
            raise CheckpointError(
                f'{path} contains Python objects besides tensors, and '
                f'mmmeta loads pretrained weights with weights_only=True so '
                f'that a checkpoint can never run code. If you trust this '
                f'file, re-save only its weights with '
                f'tools/model_converters/metaformer2mmmeta.py --trust.\n'
                f'torch said: {str(err).splitlines()[0]}'
            ) from err
        raise CheckpointError(
            f'{path} is not a PyTorch checkpoint (unpickling failed: {err})'
        ) from err
    except Exception as err:  # torch raises many types for a bad file
        raise CheckpointError(
            f'{path} could not be read as a PyTorch checkpoint: it is '
            f'truncated or not a checkpoint ({type(err).__name__}: '
            f'{str(err).splitlines()[0] if str(err) else ""}). Download it '
            f'again.'
        ) from err


def extract_state_dict(
    obj: Mapping, source: str = '<checkpoint>', prefix: Optional[str] = None
) -> StateDict:
    """Find the backbone weights inside a loaded checkpoint.

    Unwraps ``state_dict`` / ``model`` / ``module`` containers, drops a DDP
    ``module.`` prefix, and keeps the ``prefix`` sub-tree (by default
    ``backbone.`` when present, as in mmdet/mmseg/mmpretrain models).

    Raises:
        CheckpointError: No tensors, an absent prefix, or NaN/Inf values.
    """
    if not isinstance(obj, Mapping):
        raise CheckpointError(
            f'{source} holds a {type(obj).__name__}, not a dict of weights.'
        )
    while True:
        inner = next(
            (obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), Mapping)),
            None,
        )
        if inner is None:
            break
        obj = inner
    state = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not state:
        raise CheckpointError(
            f'{source} contains no tensors (top-level '
            f'keys: {_short_list(obj)}).'
        )
    if all(k.startswith('module.') for k in state):
        state = {k[len('module.') :]: v for k, v in state.items()}
    if prefix is None and any(k.startswith('backbone.') for k in state):
        prefix = 'backbone.'
    if prefix:
        if not prefix.endswith('.'):
            prefix += '.'
        sub = {
            k[len(prefix) :]: v
            for k, v in state.items()
            if k.startswith(prefix)
        }
        if not sub:
            roots = sorted({k.split('.')[0] for k in state})
            raise CheckpointError(
                f'{source} has no keys with the prefix '
                f'{prefix!r}; its keys start with '
                f'{_short_list(roots)}.'
            )
        state = sub
    bad = [
        k
        for k, v in state.items()
        if v.is_floating_point() and not torch.isfinite(v).all()
    ]
    if bad:
        raise CheckpointError(
            f'{source} has NaN or Inf values in '
            f'{_short_list(bad)}; the file is corrupt or '
            f'from a diverged run.'
        )
    return state


def is_head_key(key: str) -> bool:
    """Keys of a classification head (after conversion), never loaded into
    a backbone."""
    return key.startswith('head.')


def fit_state_dict(
    model: nn.Module,
    state: StateDict,
    source: str,
    optional: Iterable[str] = (),
    ignore: Callable[[str], bool] = is_head_key,
) -> StateDict:
    """Check a converted state dict against ``model`` and adapt shapes.

    Tensors whose element count matches but shape differs (a 1x1 conv weight
    for a linear one) are reshaped. Anything else that does not fit raises
    one error listing every problem.

    Returns:
        The state dict to load with ``strict=False`` (optional keys may be
        absent).
    """
    own = model.state_dict()
    optional = set(optional)
    fitted, unexpected, mismatched = {}, [], []
    for key, value in state.items():
        if key not in own:
            if not ignore(key):
                unexpected.append(key)
            continue
        target = own[key]
        if value.shape != target.shape:
            if value.numel() != target.numel():
                mismatched.append(
                    f'{key}: checkpoint {tuple(value.shape)} '
                    f'vs model {tuple(target.shape)}'
                )
                continue
            value = value.reshape(target.shape)
        fitted[key] = value
    missing = [k for k in own if k not in fitted and k not in optional]
    if missing or unexpected or mismatched:
        lines = [f'{source} does not fit {type(model).__name__}:']
        if missing:
            lines.append(
                f'  missing backbone keys ({len(missing)}): '
                f'{_short_list(missing)}'
            )
        if mismatched:
            lines.append(
                f'  shape mismatches ({len(mismatched)}): '
                f'{_short_list(mismatched, 6)}'
            )
        if unexpected:
            lines.append(
                f'  unexpected backbone keys ({len(unexpected)}): '
                f'{_short_list(unexpected)}'
            )
        lines.append(
            '  Is it a checkpoint of another family or size? Check '
            'the backbone type/arch against the file.'
        )
        raise CheckpointError('\n'.join(lines))
    return fitted


def load_pretrained(
    model: nn.Module,
    source: str,
    prefix: Optional[str] = None,
    map_location='cpu',
) -> List[str]:
    """Load a pretrained checkpoint into a backbone, strictly.

    The model supplies ``convert_checkpoint(state_dict)`` (layout detection
    and renaming) and ``optional_checkpoint_keys()``.

    Returns:
        The optional keys the checkpoint did not provide (left as
        initialised).
    """
    obj = read_checkpoint(source, map_location=map_location)
    state = extract_state_dict(obj, str(source), prefix=prefix)
    try:
        state = model.convert_checkpoint(state)
    except CheckpointError as err:
        raise CheckpointError(f'{source}: {err}') from err
    fitted = fit_state_dict(
        model, state, str(source), optional=model.optional_checkpoint_keys()
    )
    model.load_state_dict(fitted, strict=False)
    fresh = [k for k in model.state_dict() if k not in fitted]
    print_log(
        f'Loaded {len(fitted)} tensors from {source} into '
        f'{type(model).__name__}'
        + (
            f'; kept fresh (not in the file): {_short_list(fresh)}'
            if fresh
            else ''
        ),
        logger='current',
    )
    return fresh
