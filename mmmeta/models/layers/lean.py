"""Lean residual branches: training that saves only what it cannot redo.

A MetaFormer block branch is ``res_scale * x + drop(layer_scale *
mixer(norm(x)))``. Under plain autograd every op keeps its inputs for the
backward pass: the norm its input and output, the layer scale the mixer's
output, the activation its input *and* the projection behind it the
activation's output, all full-size maps. A lean branch is one
``torch.autograd.Function`` that keeps the branch input ``x`` and what a
mixer names as costly to redo (the output of a matrix product feeding an
activation), and recomputes the rest in backward: the norm (from ``x``),
activations (from their inputs), pooling. The layer scale's gradient comes
from the output projection's weight gradient (``sum_k W[c, k] * G[c, k]``),
not from a saved output.

A token mixer or channel MLP opts in with a ``lean_spec()`` method that
returns ``(function, constants, tensors)`` for its current configuration, or
None where it cannot (then the block runs under autograd as before):

* ``function``: made by :func:`lean_function` from the mixer's
  ``forward(constants, n, scale, tensors) -> (y, saved)`` and
  ``backward(constants, n, saved, grad_y, scale, tensors) ->
  (grad_n, grad_scale, tensor_grads)``, both without autograd; ``n`` is the
  normalised input, ``scale`` the layer scale (None: none), which ``y``
  already includes.
* ``constants``: hashable settings (kernel sizes, activation kinds).
* ``tensors``: the parameters the function reads, in its order.

Results equal the autograd path (the contract tests compare outputs and
gradients of every family to 1e-5). ``torch.compile`` traces the functions
(no graph break).

Under autocast (AMP) a branch keeps its savings: the norm runs in the
input's dtype (float32, as autocast runs norms), a mixer made with
``casts_under_autocast`` (one whose work is matrix products) computes in
autocast's dtype on its parameters cast to it, the others (pooling,
identity) in the input's dtype, as autocast leaves those ops; gradients
come back in each tensor's own dtype, and the per-channel and scalar
parameters' sums are taken in float32.
"""

import contextlib
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .activations import SquaredReLU, StarReLU
from .layout import nchw_view, nhwc_view
from .norms import GroupNorm1
from .residual import DropPath, Scale

Tensor = torch.Tensor
aten = torch.ops.aten


# ------------------------------------------------------------------ norms
def norm_spec(norm: nn.Module) -> Optional[Tuple]:
    """``(kind, eps, weight, bias)`` of a pre-norm a lean branch can
    redo, or None. Kinds: ``'group'`` (:class:`GroupNorm1`), ``'channel'``
    (a LayerNorm over the last dimension), None (no norm)."""
    if isinstance(norm, nn.Identity):
        return None, 0.0, None, None
    if isinstance(norm, GroupNorm1) and norm.weight is not None:
        return 'group', norm.eps, norm.weight, norm.bias
    if isinstance(norm, nn.LayerNorm) and len(norm.normalized_shape) == 1:
        return 'channel', norm.eps, norm.weight, norm.bias
    return None


def _group_norm(
    x: Tensor, eps: float, weight: Optional[Tensor], bias: Optional[Tensor]
) -> Tuple[Tensor, Tensor, Tensor]:
    """``aten.native_group_norm`` with one group of a channels-last map
    (its NCHW view, which the CPU kernel reads in place, affine fused):
    ``(out, mean, rstd)``, the statistics shaped ``(B, 1)``."""
    batch, height, width, channels = x.shape
    out, mean, rstd = aten.native_group_norm(
        nchw_view(x), weight, bias, batch, channels, height * width, 1, eps
    )
    return nhwc_view(out), mean, rstd


def group_moments(x: Tensor, eps: float) -> Tuple[Tensor, Tensor]:
    """Mean and ``1 / sqrt(var + eps)`` of each sample of a channels-last
    map, shaped ``(B, 1, 1, 1)`` (by the group norm kernel, several times
    faster on a CPU than ``torch.var_mean``)."""
    _, mean, rstd = _group_norm(x, eps, None, None)
    return mean.view(-1, 1, 1, 1), rstd.view(-1, 1, 1, 1)


def _normalize(
    x: Tensor,
    kind: Optional[str],
    eps: float,
    weight: Optional[Tensor],
    bias: Optional[Tensor],
) -> Tuple[Tensor, Tuple[Tensor, ...]]:
    """The norm's output and ``(mean, rstd)`` (what its backward needs)."""
    if kind is None:
        return x, ()
    if kind == 'channel':
        out, mean, rstd = aten.native_layer_norm(
            x, x.shape[-1:], weight, bias, eps
        )
        return out, (mean, rstd)
    out, mean, rstd = _group_norm(x, eps, weight, bias)
    return out, (mean, rstd)


def _normalize_backward(
    grad: Tensor,
    x: Tensor,
    kind: Optional[str],
    weight: Optional[Tensor],
    bias: Optional[Tensor],
    stats: Tuple[Tensor, ...],
) -> Tuple:
    """``(grad_x, grad_weight, grad_bias)`` of :func:`_normalize`."""
    if kind is None:
        return grad, None, None
    mean, rstd = stats
    mask = [True, weight is not None, bias is not None]
    if kind == 'channel':
        return aten.native_layer_norm_backward(
            grad, x, x.shape[-1:], mean, rstd, weight, bias, mask
        )
    batch, height, width, channels = x.shape
    grad_x, grad_weight, grad_bias = aten.native_group_norm_backward(
        nchw_view(grad.contiguous()),
        nchw_view(x),
        mean,
        rstd,
        weight,
        batch,
        channels,
        height * width,
        1,
        mask,
    )
    return nhwc_view(grad_x), grad_weight, grad_bias


# ------------------------------------------------------------ activations
def activation_spec(act: nn.Module) -> Optional[Tuple[Tuple, Tuple]]:
    """``((kind, approximate), (scale, bias))`` of an activation a lean
    branch can redo, or None."""
    if isinstance(act, nn.GELU):
        return ('gelu', act.approximate), (None, None)
    if isinstance(act, StarReLU):
        return ('star', ''), (act.scale, act.bias)
    if isinstance(act, SquaredReLU):
        return ('square', ''), (None, None)
    if isinstance(act, nn.ReLU):
        return ('relu', ''), (None, None)
    if isinstance(act, nn.Identity):
        return ('identity', ''), (None, None)
    return None


def activate(
    kind: Tuple, x: Tensor, scale: Optional[Tensor], bias: Optional[Tensor]
) -> Tensor:
    """The activation of :func:`activation_spec` on ``x`` (a new tensor)."""
    name, approximate = kind
    if name == 'gelu':
        return F.gelu(x, approximate=approximate)
    if name == 'identity':
        return x
    out = F.relu(x)
    if name == 'relu':
        return out
    if name == 'square':
        return out.square_()
    return torch.addcmul(bias, scale, out.square_())  # as StarReLU does


def activate_backward(
    kind: Tuple, grad: Tensor, x: Tensor, scale: Optional[Tensor]
) -> Tuple:
    """``(grad_x, grad_scale, grad_bias)`` of :func:`activate`."""
    name, approximate = kind
    if name == 'gelu':
        return aten.gelu_backward(grad, x, approximate=approximate), None, None
    if name == 'identity':
        return grad, None, None
    if name == 'relu':
        return aten.threshold_backward(grad, x, 0), None, None
    positive = F.relu(x)
    grad_positive = grad * positive  # d/dx relu(x)^2 = 2 relu(x)
    if name == 'square':
        return grad_positive.mul_(2), None, None
    total = _accumulation_dtype(grad)
    if total == grad.dtype:
        grad_scale = torch.dot(grad_positive.flatten(), positive.flatten())
    else:  # half precision: the products in float32, as autocast has them
        wide = positive.to(total)
        grad_scale = (grad.to(total) * wide * wide).sum()
    grad_scale = grad_scale.reshape(1)
    grad_bias = grad.sum(dtype=total).reshape(1)
    return grad_positive.mul_(2 * scale.to(grad.dtype)), grad_scale, grad_bias


# ---------------------------------------------------------------- linears
def rows(x: Tensor) -> Tensor:
    """A channels-last map as ``(B*H*W, C)`` rows."""
    return x.reshape(-1, x.shape[-1])


def _accumulation_dtype(x: Tensor) -> torch.dtype:
    """float32 for the sums of a half-precision tensor, else its dtype."""
    return torch.promote_types(x.dtype, torch.float32)


def channel_sums(a: Tensor, b: Tensor) -> Tensor:
    """``sum(a * b)`` per channel (last dimension), in float32 or wider:
    the gradient of a per-channel scale applied to ``b`` under the
    gradient ``a``."""
    return (rows(a) * rows(b)).sum(0, dtype=_accumulation_dtype(a))


_HAS_ONEDNN = torch.backends.mkldnn.is_available()


def _through_onednn(x: Tensor) -> bool:
    return (
        _HAS_ONEDNN and x.is_cpu and x.dim() == 4 and x.dtype == torch.float32
    )


def _conv(
    x: Tensor, weight: Tensor, bias: Optional[Tensor], padding, groups: int
) -> Tensor:
    """A stride-1 convolution of a channels-last map (its NCHW view)."""
    return nhwc_view(
        F.conv2d(nchw_view(x), weight, bias, padding=padding, groups=groups)
    )


def _conv_backward(
    grad: Tensor,
    x: Tensor,
    weight: Tensor,
    bias: Optional[Tensor],
    padding,
    groups: int,
) -> Tuple:
    """``(grad_x, grad_weight, grad_bias)`` of :func:`_conv`."""
    grad_x, grad_weight, grad_bias = aten.convolution_backward(
        nchw_view(grad),
        nchw_view(x),
        weight,
        None if bias is None else [weight.shape[0]],
        [1, 1],
        list(padding),
        [1, 1],
        False,
        [0, 0],
        groups,
        [True, True, bias is not None],
    )
    return nhwc_view(grad_x), grad_weight, grad_bias


def project(x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """``F.linear`` of a channels-last map. On a CPU as oneDNN's 1x1
    convolution of its NCHW view, which this project measured 1.3-2.5x
    faster than the GEMM ``F.linear`` calls, forward and backward
    (docs/benchmarks.md); the same products, to float rounding."""
    if _through_onednn(x):
        return _conv(x, weight[:, :, None, None], bias, (0, 0), 1)
    return F.linear(x, weight, bias)


def project_backward(
    grad: Tensor, x: Tensor, weight: Tensor, bias: Optional[Tensor]
) -> Tuple:
    """``(grad_x, grad_weight, grad_bias)`` of :func:`project`."""
    if _through_onednn(x):
        grad_x, grad_weight, grad_bias = _conv_backward(
            grad, x, weight[:, :, None, None], bias, (0, 0), 1
        )
        return grad_x, grad_weight.flatten(1), grad_bias
    grad_rows = rows(grad)
    grad_bias = None if bias is None else grad_rows.sum(0)
    return F.linear(grad, weight.t()), grad_rows.t() @ rows(x), grad_bias


def scaled_linear(
    x: Tensor, weight: Tensor, bias: Optional[Tensor], scale: Optional[Tensor]
) -> Tensor:
    """``scale * linear(x)`` with the scale folded into the weights."""
    if scale is None:
        return project(x, weight, bias)
    return project(
        x, weight * scale[:, None], None if bias is None else bias * scale
    )


def scaled_linear_backward(
    grad: Tensor,
    x: Tensor,
    weight: Tensor,
    bias: Optional[Tensor],
    scale: Optional[Tensor],
) -> Tuple:
    """``(grad_x, grad_weight, grad_bias, grad_scale)`` of
    :func:`scaled_linear`; the scale's gradient is read off the weight's
    (no saved output needed)."""
    if scale is None:
        return (*project_backward(grad, x, weight, bias), None)
    grad_x, product, grad_bias = project_backward(
        grad,
        x,
        weight * scale[:, None],
        None if bias is None else bias * scale,
    )
    # product = d/d(scale * weight); grad_bias = d/d(scale * bias)
    grad_scale = (product * weight).sum(1)
    if bias is not None:
        grad_scale += grad_bias * bias
        grad_bias = grad_bias * scale
    return grad_x, product * scale[:, None], grad_bias, grad_scale


# ------------------------------------------------------------ depthwise
def depthwise(
    x: Tensor, weight: Tensor, bias: Optional[Tensor], padding
) -> Tensor:
    """A depthwise convolution of a channels-last map (stride 1)."""
    return _conv(x, weight, bias, padding, weight.shape[0])


def depthwise_backward(
    grad: Tensor, x: Tensor, weight: Tensor, bias: Optional[Tensor], padding
) -> Tuple:
    """``(grad_x, grad_weight, grad_bias)`` of :func:`depthwise`."""
    return _conv_backward(grad, x, weight, bias, padding, weight.shape[0])


# ------------------------------------------------------- the branch itself
def _save(ctx, constants, x, params, tensors, saved) -> None:
    ctx.constants = constants
    ctx.num_saved = len(saved)
    ctx.save_for_backward(x, *params, *tensors, *saved)


def _saved(ctx):
    """``(x, (norm_weight, norm_bias, res_scale, layer_scale, keep),
    tensors, saved)`` as :func:`_save` stored them."""
    x, *params = ctx.saved_tensors
    params, rest = params[:5], params[5:]
    split = len(rest) - ctx.num_saved
    return x, params, rest[:split], rest[split:]


def _cast(tensors, dtype: Optional[torch.dtype]):
    """The floating tensors of ``tensors`` (None kept) in ``dtype``; as
    they are for None."""
    if dtype is None:
        return tuple(tensors)
    return tuple(
        t.to(dtype) if t is not None and t.is_floating_point() else t
        for t in tensors
    )


def _cast_back(grads, like):
    """Each gradient in its tensor's dtype."""
    return tuple(
        g if g is None or t is None else g.to(t.dtype)
        for g, t in zip(grads, like)
    )


def _branch_forward(
    ctx,
    mixer_forward: Callable,
    x: Tensor,
    constants,
    norm_weight,
    norm_bias,
    res_scale,
    layer_scale,
    keep,
    *tensors,
):
    (kind, eps), mixer_constants, dtype = constants
    n, _ = _normalize(x, kind, eps, norm_weight, norm_bias)
    n, layer, *cast = _cast((n, layer_scale, *tensors), dtype)
    y, saved = mixer_forward(mixer_constants, n, layer, cast)
    skip = x if res_scale is None else x * res_scale
    out = skip + y if keep is None else torch.addcmul(skip, y, keep)
    params = (norm_weight, norm_bias, res_scale, layer_scale, keep)
    _save(ctx, constants, x, params, tensors, saved)
    return out


def _branch_backward(ctx, mixer_backward: Callable, grad: Tensor):
    (kind, eps), mixer_constants, dtype = ctx.constants
    x, params, tensors, saved = _saved(ctx)
    norm_weight, norm_bias, res_scale, layer_scale, keep = params
    grad = grad.contiguous()
    grad_y = grad if keep is None else grad * keep
    with torch.no_grad():
        n, stats = _normalize(x, kind, eps, norm_weight, norm_bias)
        n, grad_y, layer, *cast = _cast(
            (n, grad_y, layer_scale, *tensors), dtype
        )
        grad_n, grad_layer_scale, tensor_grads = mixer_backward(
            mixer_constants, n, saved, grad_y, layer, cast
        )
        del n
        grad_n, grad_layer_scale, *tensor_grads = _cast_back(
            (grad_n, grad_layer_scale, *tensor_grads),
            (x, layer_scale, *tensors),
        )
        grad_x, grad_norm_weight, grad_norm_bias = _normalize_backward(
            grad_n, x, kind, norm_weight, norm_bias, stats
        )
        grad_res_scale = None
        if res_scale is None:
            grad_x = grad_x + grad
        else:
            grad_x = torch.addcmul(grad_x, grad, res_scale)
            grad_res_scale = channel_sums(grad, x)
    return (
        grad_x,
        None,
        grad_norm_weight,
        grad_norm_bias,
        grad_res_scale,
        grad_layer_scale,
        None,
        *tensor_grads,
    )


def _whole_forward(ctx, forward: Callable, x, constants, *params_tensors):
    (_, eps), mixer_constants, _ = constants
    params, tensors = params_tensors[:5], params_tensors[5:]
    out, saved = forward(mixer_constants, eps, x, params, tensors)
    _save(ctx, constants, x, params, tensors, saved)
    return out


def _whole_backward(ctx, backward: Callable, grad: Tensor):
    (_, eps), mixer_constants, _ = ctx.constants
    x, params, tensors, saved = _saved(ctx)
    with torch.no_grad():
        grad_x, param_grads, tensor_grads = backward(
            mixer_constants, eps, grad.contiguous(), x, params, tensors, saved
        )
    return (grad_x, None, *param_grads, None, *tensor_grads)


def lean_function(
    name: str,
    mixer_forward: Callable,
    mixer_backward: Callable,
    whole_branch: Optional[Dict[str, Tuple[Callable, Callable]]] = None,
    casts_under_autocast: bool = True,
) -> type:
    """A ``torch.autograd.Function`` running a whole lean branch around a
    mixer's ``forward`` / ``backward`` pair (see the module docstring).

    ``whole_branch`` maps a pre-norm kind to a ``(forward, backward)``
    pair that runs the whole branch itself, norm and residual included,
    for a mixer that absorbs that norm (pooling after a GroupNorm1):
    ``forward(constants, eps, x, params, tensors) -> (out, saved)`` and
    ``backward(constants, eps, grad, x, params, tensors, saved) ->
    (grad_x, param_grads, tensor_grads)``, ``params`` being ``(norm_weight,
    norm_bias, res_scale, layer_scale, keep)`` and ``param_grads`` the
    gradients of its first four (a whole branch computes in the input's
    dtype). ``casts_under_autocast``: under autocast the mixer computes in
    autocast's dtype (a mixer of matrix products), else in the input's."""
    whole_branch = whole_branch or {}

    def forward(ctx, x, constants, *args):
        if not casts_under_autocast:
            constants = (*constants[:2], None)
        whole = whole_branch.get(constants[0][0])
        ctx.whole = whole is not None
        with _autocast_off(x):
            if ctx.whole:
                return _whole_forward(ctx, whole[0], x, constants, *args)
            return _branch_forward(ctx, mixer_forward, x, constants, *args)

    def backward(ctx, grad):
        with _autocast_off(grad):
            if ctx.whole:
                whole = whole_branch[ctx.constants[0][0]]
                return _whole_backward(ctx, whole[1], grad)
            return _branch_backward(ctx, mixer_backward, grad)

    return type(
        name,
        (torch.autograd.Function,),
        dict(
            forward=staticmethod(forward),
            backward=staticmethod(backward),
            __doc__=f'Lean branch: {name}.',
        ),
    )


def _optional_scale(
    module: Optional[nn.Module],
) -> Tuple[bool, Optional[Tensor]]:
    if isinstance(module, Scale):
        return True, module.scale
    return module is None or isinstance(module, nn.Identity), None


def _autocast_dtype(x: Tensor) -> Optional[torch.dtype]:
    """Autocast's dtype for ``x`` 's device, None where it is off (or the
    device has none, e.g. ``meta``)."""
    device = x.device.type
    if torch.amp.is_autocast_available(device) and torch.is_autocast_enabled(
        device
    ):
        return torch.get_autocast_dtype(device)
    return None


def _autocast_off(x: Tensor):
    """A context in which autocast is off for ``x`` 's device (the lean
    functions cast what they compute themselves)."""
    if _autocast_dtype(x) is None:
        return contextlib.nullcontext()
    return torch.autocast(x.device.type, enabled=False)


def lean_residual(
    x: Tensor,
    norm: nn.Module,
    mixer: nn.Module,
    layer_scale: nn.Module,
    res_scale: Optional[nn.Module],
    drop_path: nn.Module,
) -> Optional[Tensor]:
    """``res_scale(x) + drop_path(layer_scale(mixer(norm(x))))`` as one
    lean function, or None where a part has no lean form (the caller then
    runs it under autograd). A scale may be ``nn.Identity`` or None (none);
    ``mixer`` is whatever has the ``lean_spec()`` of what follows the norm
    (a token mixer, an MLP, or a block whose mixer and MLP are one)."""
    spec = getattr(mixer, 'lean_spec', None)
    if spec is None:
        return None
    mixer_spec, norm_parts = spec(), norm_spec(norm)
    layer_ok, layer = _optional_scale(layer_scale)
    res_ok, res = _optional_scale(res_scale)
    drop_ok = isinstance(drop_path, (DropPath, nn.Identity))
    if (
        mixer_spec is None
        or norm_parts is None
        or not (layer_ok and res_ok and drop_ok)
    ):
        return None
    keep = (
        drop_path.keep_factor(x) if isinstance(drop_path, DropPath) else None
    )
    function, constants, tensors = mixer_spec
    kind, eps, weight, bias = norm_parts
    dtype = _autocast_dtype(x)
    parameters = [t for t in (weight, res, layer, *tensors) if t is not None]
    if (
        dtype is not None
        and x.dtype == dtype
        and parameters
        and parameters[0].dtype == torch.float32
    ):
        # the branch adds in float32, as autocast's type promotion does
        # behind a half-precision convolution (a stem, a downsampling)
        x = x.float()
    if dtype == x.dtype:
        dtype = None  # a half-precision model: nothing to cast
    return function.apply(
        x,
        ((kind, eps), constants, dtype),
        weight,
        bias,
        res,
        layer,
        keep,
        *tensors,
    )


def saved_bytes(
    run: Callable[[], object], exclude: Sequence[Tensor] = ()
) -> int:
    """Bytes autograd saves for backward while ``run()`` runs: each storage
    counted once, those of ``exclude`` (e.g. the parameters) not at all."""
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    saved = {}

    def pack(tensor: Tensor) -> Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in skip:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        run()
    return sum(saved.values())
