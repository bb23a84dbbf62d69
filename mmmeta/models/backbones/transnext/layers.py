"""TransNeXt's token and channel mixers, on channels-last token maps.

* :class:`AggregatedAttention` (stages 1-3): each query attends jointly, in
  one softmax, to its 3x3 neighbourhood (pixel-focused attention) and to the
  feature map average-pooled by ``sr_ratio`` (the periphery). Queries are
  L2-normalised, shifted by a learned query embedding and scaled by
  ``softplus(temperature) * log(number of keys)`` (length-scaled cosine
  attention); the pooled keys carry a continuous position bias from a small
  MLP on log-spaced relative coordinates; the local weights get a
  query-dependent term from learnable tokens.
* :class:`CosineAttention` (stage 4): the same cosine attention and position
  bias over all tokens.
* :class:`ConvolutionalGLU`: a GLU whose gate sees its 3x3 neighbourhood
  through a depthwise convolution.

The position bias is built per forward from the real input size, in two
modes as in the official det/seg code: *interpolation* (the bias of a fixed
``trained_size`` grid, bilinearly resized to the input) and *extrapolation*
(the MLP evaluated at the input's own relative coordinates). Unlike the
official code, nothing is precomputed per ``img_size``: the relative
coordinates are separable per axis, so the bias is the MLP evaluated on a
(unique dy) x (unique dx) table, gathered with per-axis interpolation taps
or, on the table's own grid, read as sliding windows of it (a view; the
pooled keys are taken in reverse order to make it one). Building a model
therefore costs nothing, whatever grid it is set up for.

Reference:
    Shi, "TransNeXt: Robust Foveal Visual Perception for Vision
    Transformers", CVPR 2024. https://github.com/DaiShiResearch/TransNeXt
"""

import math
from functools import lru_cache, wraps
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from ....registry import MODELS
from ...layers import depthwise_conv, gelu, nchw_view, nhwc_view, to_pair

Size = Union[int, Sequence[int]]


def _linear_taps(n_in: int, n_out: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The (at most two) source indices and weights of each output position
    of ``F.interpolate(mode='bilinear', align_corners=False)`` along one
    axis, read off the interpolation of an identity matrix so that they are
    exactly PyTorch's."""
    eye = torch.eye(n_in).view(1, n_in, 1, n_in)
    matrix = (
        F.interpolate(
            eye, size=(1, n_out), mode='bilinear', align_corners=False
        )
        .view(n_in, n_out)
        .t()
    )
    weights, indices = matrix.topk(min(2, n_in), dim=1)
    return indices, weights


def _log_spaced(coords: torch.Tensor) -> torch.Tensor:
    """SwinV2's log-spaced coordinates: ``sign(x) log2(1 + |x|) / 3``."""
    return (
        torch.sign(coords)
        * torch.log2(coords.abs() + 1.0)
        / torch.log2(torch.tensor(8, dtype=torch.float32))
    )


def _relative_coordinates(
    grid: int, sr_ratio: int, pretrain: int
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Unique relative coordinates between the ``grid`` query positions and
    the centres of the ``grid // sr_ratio`` pooling bins along one axis, and
    each (query, key) pair's index into them: ``(U, )`` and ``(grid, grid //
    sr_ratio)``.

    With ``grid`` a multiple of ``sr_ratio`` (inputs that are multiples of
    32) the bins are equal and the offsets are every integer from ``-(grid -
    sr_ratio)`` to ``grid - 1``, shifted by ``(sr_ratio - 1) / 2``: a closed
    form that traces with symbolic sizes (export). Otherwise the pair
    offsets are deduplicated with ``torch.unique``; both give the same
    floats.
    """
    pooled = grid // sr_ratio
    if grid % sr_ratio == 0:
        offsets = torch.arange(2 * grid - sr_ratio, dtype=torch.float32) - (
            grid - sr_ratio
        )
        values = (offsets - (sr_ratio - 1) / 2) / (pretrain - 1) * 8
        inverse = (
            torch.arange(grid)[:, None]
            - sr_ratio * torch.arange(pooled)[None, :]
            + (grid - sr_ratio)
        )
        return values, inverse
    axis_q = torch.arange(grid, dtype=torch.float32)
    axis_k = F.adaptive_avg_pool1d(axis_q[None], pooled)[0]
    relative = (axis_q[:, None] - axis_k[None, :]) / (pretrain - 1) * 8
    values, inverse = torch.unique(relative.flatten(), return_inverse=True)
    return values, inverse.view(relative.shape)


def _axis_position_taps(
    n_query: int,
    sr_ratio: int,
    pretrain: int,
    trained: Optional[int],
    device: torch.device,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Position-bias lookup along one spatial axis.

    Queries sit at ``0 .. grid-1``; pooled keys at the centres of
    ``grid // sr_ratio`` average-pooling bins. Their differences, divided by
    ``pretrain - 1`` and multiplied by 8, are the relative coordinates.

    Args:
        n_query (int): Input length along the axis (tokens).
        sr_ratio (int): Pooling ratio of the keys (1: keys are the tokens).
        pretrain (int): Pre-training grid length (normalises coordinates).
        trained (int, optional): Interpolation mode: the grid length the bias
            is computed for, then bilinearly resized to the input. None:
            extrapolation mode (the input's own grid).
        device: Where to put the result.

    Returns:
        ``(coords, index, weight)``: the unique log-spaced coordinates
        ``(U, )``; for every (query, key) pair of the input, ``(n_query,
        n_query // sr_ratio, K)`` indices into ``coords`` and their weights,
        the keys in reverse order (see :meth:`_CosinePositionAttention.
        position_bias`).
    """
    grid = n_query if trained is None else trained
    values, inverse = _relative_coordinates(grid, sr_ratio, pretrain)
    if trained is None:
        index = inverse[..., None]
        weight = torch.ones(index.shape)
    else:
        q_index, q_weight = _linear_taps(grid, n_query)
        k_index, k_weight = _linear_taps(grid // sr_ratio, n_query // sr_ratio)
        index = inverse[q_index[:, None, :, None], k_index[None, :, None, :]]
        weight = q_weight[:, None, :, None] * k_weight[None, :, None, :]
        index = index.flatten(2)
        weight = weight.flatten(2)
        if not _exported(n_query):  # zero taps add nothing
            used = weight.flatten(0, 1).abs().amax(0) > 0
            index, weight = index[..., used], weight[..., used]
    return (
        _log_spaced(values).to(device),
        index.flip(1).to(device),
        weight.flip(1).to(device),
    )


def _local_window_geometry(
    height: int, width: int, window: int, device: torch.device
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Which neighbours of each token lie inside the map.

    Returns:
        ``(outside, count)``: ``(H, W, window**2)`` bool, True where the
        neighbour is padding; ``(H, W, 1)`` number of in-map neighbours.
    """
    ones = torch.ones(1, 1, height, width)
    valid = F.unfold(ones, window, padding=window // 2)[0]
    valid = valid.t().reshape(height, width, window * window)
    return (valid == 0).to(device), valid.sum(-1, keepdim=True).to(device)


# The geometry depends only on the sizes. Eagerly it is cached per size;
# torch.compile takes it as constants (no graph break on torch.unique); an
# export traces it (uncached, closed form, no data-dependent shapes), with
# symbolic sizes where the input size is dynamic.
def _constant_result(function):
    """``function``'s result as a constant under ``torch.compile``, on a
    wrapper: torch 2.11 marks the function it is given itself, which would
    make the traced (exported) calls constants too."""

    @wraps(function)
    def constant(*args):
        return function(*args)

    return torch.compiler.assume_constant_result(constant)


_cached_axis_position_taps = lru_cache(maxsize=256)(
    _constant_result(_axis_position_taps)
)
_cached_local_window_geometry = lru_cache(maxsize=64)(
    _constant_result(_local_window_geometry)
)


def _exported(*sizes) -> bool:
    """Whether the geometry of these sizes is being traced for export (its
    tensors then belong to the traced graph: neither cached nor pruned by
    value)."""
    return torch.compiler.is_exporting() or any(
        isinstance(size, torch.SymInt) for size in sizes
    )


def axis_position_taps(*args):
    """:func:`_axis_position_taps`, cached unless exported."""
    if _exported(args[0]):
        return _axis_position_taps(*args)
    return _cached_axis_position_taps(*args)


def local_window_geometry(*args):
    """:func:`_local_window_geometry`, cached unless exported."""
    if _exported(*args[:2]):
        return _local_window_geometry(*args)
    return _cached_local_window_geometry(*args)


def _average_rows(size: int, pooled: int, x: torch.Tensor) -> torch.Tensor:
    """``(pooled, size)`` weights averaging adaptive pooling's windows:
    output ``i`` averages inputs ``floor(i * size / pooled)`` to
    ``ceil((i + 1) * size / pooled) - 1``."""
    out = torch.arange(pooled, device=x.device)[:, None]
    inputs = torch.arange(size, device=x.device)
    start = out * size // pooled
    stop = -(-(out + 1) * size // pooled)
    window = (inputs >= start) & (inputs < stop)
    return window.to(x.dtype) / (stop - start).to(x.dtype)


def adaptive_average(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``F.adaptive_avg_pool2d`` of a ``(B, H, W, C)`` map to ``(B, height,
    width, C)``, as two products with averaging weights: the same windows
    and values, in a form inductor also lowers for a dynamic size (torch
    2.11's lowering of ``adaptive_avg_pool2d`` needs static sizes)."""
    b, h, w, c = x.shape
    x = torch.matmul(_average_rows(w, width, x), x)  # (B, H, width, C)
    x = torch.matmul(_average_rows(h, height, x), x.reshape(b, h, -1))
    return x.reshape(b, height, width, c)


class _CosinePositionAttention(nn.Module):
    """What both TransNeXt attentions share: query embedding, temperature,
    and the continuous position bias MLP (``cpb_fc1``, ``cpb_fc2``).

    Args:
        dim (int): Channels.
        num_heads (int): Heads; ``dim`` must divide evenly.
        sr_ratio (int): Pooling ratio of the keys (1 for full attention).
        trained_size (int | tuple, optional): Interpolation mode: the token
            grid the position bias is computed on (the configured image size
            divided by the stage stride). None: extrapolation mode.
        pretrain_size (int | tuple): Token grid of pre-training (224 / stage
            stride for the released weights); normalises coordinates.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        sr_ratio: int,
        trained_size: Optional[Size],
        pretrain_size: Size,
    ):
        super().__init__()
        if dim % num_heads:
            raise ValueError(
                f'dim {dim} is not divisible by num_heads {num_heads}'
            )
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.sr_ratio = sr_ratio
        self.trained_size = to_pair(trained_size)
        self.pretrain_size = to_pair(pretrain_size)
        if min(self.pretrain_size) < 2:
            raise ValueError(
                f'pretrain_size must give a token grid of at '
                f'least 2, got {pretrain_size}'
            )
        # softplus(temperature) starts at 1 / 0.24
        self.temperature = nn.Parameter(
            torch.full((num_heads, 1, 1), math.log(math.expm1(1 / 0.24)))
        )
        self.query_embedding = nn.Parameter(
            nn.init.trunc_normal_(
                torch.empty(num_heads, 1, self.head_dim), std=0.02
            )
        )
        self.cpb_fc1 = nn.Linear(2, 512)
        self.cpb_fc2 = nn.Linear(512, num_heads)
        self._table_cache = None

    @property
    def is_extrapolation(self) -> bool:
        return self.trained_size is None

    def position_bias(
        self,
        height: int,
        width: int,
        device: torch.device,
        rows: slice = slice(None),
    ) -> torch.Tensor:
        """Bias of every (query, pooled key) pair: ``(heads, H, W, pH,
        pW)`` with ``pH = H // sr_ratio``, **the pooled keys in reverse
        order** along both axes (``[..., 0, 0]`` is the last key); only the
        query rows ``rows`` if given.

        On the table's own grid (extrapolation, or interpolation at the
        trained size) with sides that are multiples of ``sr_ratio``, the
        offset from query ``y`` to reversed key ``p`` is ``y + sr_ratio *
        p`` table rows: the bias is a view of sliding windows over the
        ``(unique dy, unique dx)`` table, built and differentiated without a
        gather (eagerly, and compiled at static sizes; an export or a
        dynamic size traces the gather). The attentions reverse their
        pooled keys to match."""
        trained = self.trained_size or (None, None)
        coords_y, index_y, weight_y = axis_position_taps(
            height, self.sr_ratio, self.pretrain_size[0], trained[0], device
        )
        coords_x, index_x, weight_x = axis_position_taps(
            width, self.sr_ratio, self.pretrain_size[1], trained[1], device
        )
        table = self._bias_table(coords_y, coords_x)  # (Uy, Ux, heads)
        # not while traced for export: the ONNX exporter fixes an unfold's
        # window to the traced size, so a dynamic graph would break at
        # other sizes; the gather is symbolic
        if not _exported(height, width) and all(
            t in (None, n) and n % self.sr_ratio == 0
            for t, n in zip(trained, (height, width))
        ):
            # the same view either way; with x unfolded first backward is
            # 3.5x faster at stage 1
            windows = (
                table.permute(2, 0, 1)
                .unfold(2, width, self.sr_ratio)
                .unfold(1, height, self.sr_ratio)
            )  # (h, pH, pW, W, H)
            return windows.permute(0, 4, 3, 1, 2)[:, rows]
        # Gathers of whole rows (index_select on dim 0) are memory copies.
        along_y = _gather_rows(
            table, index_y[rows], weight_y[rows]
        )  # (H, pH, Ux, h)
        along_y = along_y.permute(2, 0, 1, 3).contiguous()  # (Ux, H, pH, h)
        bias = _gather_rows(along_y, index_x, weight_x)  # (W, pW, H, pH, h)
        return bias.permute(4, 2, 0, 3, 1)

    def _bias_table(
        self, coords_y: torch.Tensor, coords_x: torch.Tensor
    ) -> torch.Tensor:
        """The position-bias MLP on the (unique dy) x (unique dx) grid.

        Without autograd the table is kept until the MLP's weights change
        (in interpolation mode it does not depend on the input size); under
        torch.compile it is computed in the graph."""
        key = self._table_key(coords_y, coords_x)
        if key is None:  # traced: computed in the graph
            return self._mlp_on_grid(coords_y, coords_x)
        cache = self._table_cache
        if (
            cache is not None
            and cache[0] == key
            and not torch.is_grad_enabled()
        ):
            return cache[1]
        table = self._mlp_on_grid(coords_y, coords_x)
        self._table_cache = None if torch.is_grad_enabled() else (key, table)
        return table

    def _mlp_on_grid(
        self, coords_y: torch.Tensor, coords_x: torch.Tensor
    ) -> torch.Tensor:
        """``cpb_fc2(relu(cpb_fc1((dy, dx))))`` for every pair of the grid:
        ``(Uy, Ux, heads)``. ``cpb_fc1`` of a pair is a term of ``dy`` plus
        a term of ``dx``, so it is a broadcast sum of a row and a column
        table: its backward is two sums, where a linear layer's weight
        gradient is a product with two-column operands that BLAS runs
        several times slower than its memory traffic."""
        weight = self.cpb_fc1.weight  # (512, 2)
        rows = torch.addcmul(
            self.cpb_fc1.bias, coords_y.to(weight.dtype)[:, None], weight[:, 0]
        )
        cols = coords_x.to(weight.dtype)[:, None] * weight[:, 1]
        return self.cpb_fc2(F.relu(rows[:, None] + cols))

    def _table_key(self, coords_y: torch.Tensor, coords_x: torch.Tensor):
        """What the cached table depends on; None while traced (compile,
        export: fake tensors have no data to identify)."""
        if torch.compiler.is_compiling() or torch.compiler.is_exporting():
            return None
        weights = (
            self.cpb_fc1.weight,
            self.cpb_fc1.bias,
            self.cpb_fc2.weight,
            self.cpb_fc2.bias,
        )
        try:
            return (
                coords_y.data_ptr(),
                coords_y.shape,
                coords_x.data_ptr(),
                coords_x.shape,
            ) + tuple((w.data_ptr(), w._version) for w in weights)
        except RuntimeError:
            return None

    def scale_queries(
        self, q_norm: torch.Tensor, log_length: torch.Tensor
    ) -> torch.Tensor:
        """``(q_norm + query_embedding) * softplus(temperature) *
        log_length`` for ``q_norm`` of shape ``(B, heads, H, W, d)``."""
        scale = F.softplus(self.temperature)[:, None]
        return (q_norm + self.query_embedding[:, None]) * scale * log_length

    def extra_repr(self) -> str:
        mode = (
            'extrapolation'
            if self.is_extrapolation
            else f'interpolation from {self.trained_size}'
        )
        return (
            f'num_heads={self.num_heads}, sr_ratio={self.sr_ratio}, '
            f'position bias: {mode}, pretrain={self.pretrain_size}'
        )


def _gather_rows(
    source: torch.Tensor, index: torch.Tensor, weight: torch.Tensor
) -> torch.Tensor:
    """``sum_t weight[..., t] * source[index[..., t]]`` over the taps ``t``
    (the last dimension of ``index`` and ``weight``)."""
    out = None
    for t in range(index.shape[-1]):
        rows = source.index_select(0, index[..., t].flatten())
        rows = rows.view(index.shape[:-1] + source.shape[1:])
        w = weight[..., t].reshape(
            weight.shape[:-1] + (1,) * (source.dim() - 1)
        )
        out = rows * w if out is None else torch.addcmul(out, rows, w)
    return out


def _heads_first(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """``(B, H, W, C)`` to ``(B, heads, H, W, C // heads)``."""
    b, h, w, c = x.shape
    return x.reshape(b, h, w, num_heads, c // num_heads).permute(0, 3, 1, 2, 4)


@MODELS.register_module()
class AggregatedAttention(_CosinePositionAttention):
    """TransNeXt's aggregated attention: 3x3 sliding-window attention and
    pooled attention under one softmax.

    Args:
        dim (int): Channels.
        num_heads (int): Heads.
        sr_ratio (int): Pooling ratio of the peripheral keys (8/4/2 in
            stages 1-3).
        trained_size, pretrain_size: See :class:`_CosinePositionAttention`.
        window_size (int): Side of the local window (odd). Defaults to 3.
        qkv_bias (bool): Biases of ``q`` and ``kv``. Defaults to True.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        sr_ratio: int,
        trained_size: Optional[Size] = None,
        pretrain_size: Size = 56,
        window_size: int = 3,
        qkv_bias: bool = True,
    ):
        super().__init__(dim, num_heads, sr_ratio, trained_size, pretrain_size)
        if window_size % 2 != 1:
            raise ValueError(f'window_size must be odd, got {window_size}')
        self.window_size = window_size
        local_len = window_size**2
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.sr = nn.Conv2d(dim, dim, kernel_size=1)
        self.norm = nn.LayerNorm(dim)
        self.relative_pos_bias_local = nn.Parameter(
            nn.init.trunc_normal_(torch.empty(num_heads, local_len), std=4e-4)
        )
        self.learnable_tokens = nn.Parameter(
            nn.init.trunc_normal_(
                torch.empty(num_heads, self.head_dim, local_len), std=0.02
            )
        )
        self.learnable_bias = nn.Parameter(
            torch.zeros(num_heads, 1, local_len)
        )

    #: Without autograd, queries are processed in row blocks whose
    #: attention logits hold at most this many elements (bounded memory at
    #: detection resolution; the result is the same).
    inference_block_elements = 2**24

    def _neighbours(self, padded: torch.Tensor, rows: slice, width: int):
        """The ``window_size**2`` shifted views, for the query rows ``rows``,
        of a ``(B, heads, H, W, d)`` map zero-padded by ``window_size //
        2``, in ``nn.Unfold`` order. The three views of a row shift share
        one row band: backward zero-fills and copies a padded-map gradient
        per band, not per view."""
        for dy in range(self.window_size):
            band = padded[:, :, rows.start + dy : rows.stop + dy]
            for dx in range(self.window_size):
                yield band[:, :, :, dx : dx + width]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, height, width, c = x.shape
        pool_h, pool_w = height // self.sr_ratio, width // self.sr_ratio
        if pool_h < 1 or pool_w < 1:
            raise ValueError(
                f'AggregatedAttention with sr_ratio {self.sr_ratio} needs a '
                f'token map of at least {self.sr_ratio}x{self.sr_ratio}, got '
                f'{height}x{width}; use a larger input image.'
            )
        outside, count = local_window_geometry(
            height, width, self.window_size, x.device
        )
        log_length = torch.log(count + pool_h * pool_w).to(x.dtype)

        q_norm = F.normalize(_heads_first(self.q(x), self.num_heads), dim=-1)
        q_scaled = self.scale_queries(q_norm, log_length)
        k_local, v_local = self.kv(x).chunk(2, dim=-1)
        k_local = F.normalize(_heads_first(k_local, self.num_heads), dim=-1)
        v_local = _heads_first(v_local, self.num_heads)

        pad = (0, 0) + (self.window_size // 2,) * 4
        k_local, v_local = F.pad(k_local, pad), F.pad(v_local, pad)

        # peripheral keys: 1x1 conv, GELU, average pooling, LayerNorm
        pooled = F.linear(x, self.sr.weight.flatten(1), self.sr.bias)
        pooled = adaptive_average(gelu(pooled), pool_h, pool_w)
        # the pooled keys in reverse order, as position_bias gives them
        pooled = self.norm(pooled.reshape(b, -1, c)).flip(1)
        k_pool, v_pool = (
            self.kv(pooled)
            .reshape(b, -1, 2, self.num_heads, self.head_dim)
            .permute(2, 0, 3, 1, 4)
            .unbind(0)
        )
        k_pool = F.normalize(k_pool, dim=-1)

        row_blocks = [slice(0, height)]
        if not (torch.is_grad_enabled() or torch.compiler.is_exporting()):
            per_row = (
                b
                * self.num_heads
                * width
                * (pool_h * pool_w + self.window_size**2)
            )
            step = max(1, self.inference_block_elements // per_row)
            row_blocks = [
                slice(y, min(y + step, height)) for y in range(0, height, step)
            ]
        maps = (q_norm, q_scaled, k_local, v_local, k_pool, v_pool, outside)
        out = [self._attend(maps, height, rows) for rows in row_blocks]
        out = out[0] if len(out) == 1 else torch.cat(out, dim=2)
        out = out.permute(0, 2, 3, 1, 4).reshape(b, height, width, c)
        return self.proj(out)

    def _attend(self, maps, height: int, rows: slice) -> torch.Tensor:
        """Aggregated attention of the query rows ``rows`` of a map with
        ``height`` rows: ``(B, heads, rows, W, d)``. ``maps`` holds the
        normalised and the scaled queries, the local keys and values
        (zero-padded), the pooled keys and values and the padding mask."""
        q_norm, q_scaled, k_local, v_local, k_pool, v_pool, outside = maps
        q_norm, q_scaled = q_norm[:, :, rows], q_scaled[:, :, rows]
        b, heads, n_rows, width, _ = q_norm.shape
        # local logits (B, heads, rows, W, window**2), padding excluded
        attn_local = torch.stack(
            [
                (q_scaled * k).sum(-1)
                for k in self._neighbours(k_local, rows, width)
            ],
            dim=-1,
        )
        attn_local = (
            attn_local + self.relative_pos_bias_local[:, None, None]
        ).masked_fill(outside[rows], float('-inf'))
        # pooled logits with the position bias
        pool_h, pool_w = height // self.sr_ratio, width // self.sr_ratio
        attn_pool = q_scaled.flatten(2, 3) @ k_pool.transpose(-2, -1)
        attn_pool = attn_pool.view(b, heads, n_rows, width, pool_h, pool_w)
        bias = self.position_bias(height, width, q_norm.device, rows)
        # a leading batch axis: with B = 1 its gradient is the logits' own,
        # not a reduction over a size-1 axis
        attn_pool = (attn_pool + bias.to(attn_pool.dtype)[None]).flatten(4)

        attn = torch.cat([attn_local, attn_pool], dim=-1).softmax(dim=-1)
        local_len = attn_local.shape[-1]
        attn_local, attn_pool = attn.split(
            [local_len, pool_h * pool_w], dim=-1
        )
        # query-dependent local weights from the learnable tokens
        attn_local = (
            attn_local
            + q_norm @ self.learnable_tokens[:, None]
            + self.learnable_bias[:, None]
        )
        out = (attn_pool.flatten(2, 3) @ v_pool).view_as(q_norm)
        # unbind: one stack in backward, not a zero-filled map per weight
        weights = attn_local.unbind(-1)
        for w, v in zip(weights, self._neighbours(v_local, rows, width)):
            out = torch.addcmul(out, w[..., None], v)
        return out


@MODELS.register_module()
class CosineAttention(_CosinePositionAttention):
    """TransNeXt's stage-4 attention: length-scaled cosine attention over
    all tokens with the continuous position bias, through
    ``F.scaled_dot_product_attention``.

    Args:
        dim (int): Channels.
        num_heads (int): Heads.
        trained_size, pretrain_size: See :class:`_CosinePositionAttention`.
        qkv_bias (bool): Bias of ``qkv``. Defaults to True.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        trained_size: Optional[Size] = None,
        pretrain_size: Size = 7,
        qkv_bias: bool = True,
    ):
        super().__init__(dim, num_heads, 1, trained_size, pretrain_size)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, height, width, c = x.shape
        q, k, v = _heads_first(self.qkv(x), 3 * self.num_heads).chunk(3, 1)
        # a tensor, not math.log: the size stays symbolic under export
        log_length = (
            torch.ones((), dtype=torch.float64).mul(height * width).log()
        )
        q = self.scale_queries(F.normalize(q, dim=-1), log_length)
        bias = self.position_bias(height, width, x.device).to(x.dtype)
        # the keys in reverse order, as position_bias gives them
        k = F.normalize(k, dim=-1).flatten(2, 3).flip(2)
        out = F.scaled_dot_product_attention(
            q.flatten(2, 3),
            k,
            v.flatten(2, 3).flip(2),
            attn_mask=bias.reshape(self.num_heads, height * width, -1),
            scale=1.0,
        )
        out = out.transpose(1, 2).reshape(b, height, width, c)
        return self.proj(out)


@MODELS.register_module()
class ConvolutionalGLU(nn.Module):
    """Convolutional GLU: ``fc2(gelu(dwconv3x3(gate)) * value)`` where
    ``fc1`` gives gate and value.

    Args:
        dim (int): Input and output channels.
        mlp_ratio (float): The hidden width is ``int(2/3 * int(mlp_ratio *
            dim))``, which keeps the parameters of a plain MLP.
        drop (float): Dropout after the gating and after ``fc2``.
            Defaults to 0.
    """

    def __init__(self, dim: int, mlp_ratio: float = 4, drop: float = 0.0):
        super().__init__()
        hidden = int(2 * int(dim * mlp_ratio) / 3)
        self.fc1 = nn.Linear(dim, 2 * hidden)
        self.dwconv = depthwise_conv(hidden, 3)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.fc1(x).chunk(2, dim=-1)
        gate = nchw_view(gate.contiguous())
        gate = nhwc_view(self.dwconv(gate))
        return self.drop(self.fc2(self.drop(gelu(gate) * value)))
