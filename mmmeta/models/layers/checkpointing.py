"""Memory saving in training: PyTorch's activation checkpointing, per block.

Every block of a stage runs under :func:`torch.utils.checkpoint.checkpoint`
(non-reentrant) when the backbone's ``lean`` or ``with_cp`` is set:

* ``with_cp``: full recomputation; the block keeps its input (and the
  outputs of ops with side effects, below).
* ``lean``: selective recomputation: the outputs of the costly ops of
  :data:`SAVED` (dense matrix products and convolutions, attention) are
  kept too; the cheap ops (norms, activations, pooling, depthwise
  convolutions, products with a scale) are computed again in backward.

Both are selective checkpoints
(:func:`torch.utils.checkpoint.create_selective_checkpoint_contexts`)
whose policy never recomputes an op with a side effect: batch norm (its
running statistics) and in-place ops (e.g. its ``num_batches_tracked``
count) run once. Checkpointing restores the random state, so a recomputed
drop path or dropout draws the same mask. Gradients equal plain
autograd's. The module and its parts have one forward; which tensors
backward keeps is the policy's business, on every device.
"""

import functools

import torch
from torch import nn
from torch.utils.checkpoint import (
    CheckpointPolicy,
    checkpoint,
    create_selective_checkpoint_contexts,
)

aten = torch.ops.aten


def _packets(*names: str) -> frozenset:
    """The aten ops of ``names`` that this torch has."""
    return frozenset(getattr(aten, n) for n in names if hasattr(aten, n))


#: Ops whose outputs a lean block keeps: matrix products and attention (its
#: output and statistics).
SAVED = _packets(
    'mm',
    'addmm',
    'bmm',
    'baddbmm',
    '_scaled_dot_product_flash_attention',
    '_scaled_dot_product_flash_attention_for_cpu',
    '_scaled_dot_product_efficient_attention',
    '_scaled_dot_product_cudnn_attention',
    '_scaled_dot_product_fused_attention_overrideable',
)
#: Batch norm: recomputing it would update its running statistics twice.
BATCH_NORMS = _packets(
    'native_batch_norm',
    '_native_batch_norm_legit',
    '_native_batch_norm_legit_functional',
    '_batch_norm_with_update',
    '_batch_norm_with_update_functional',
    'cudnn_batch_norm',
    'miopen_batch_norm',
)


def keep_side_effects(ctx, op, *args, **kwargs) -> CheckpointPolicy:
    """The ``with_cp`` policy: recompute every op but batch norm and
    in-place ops."""
    if op.overloadpacket in BATCH_NORMS or op._schema.is_mutable:
        return CheckpointPolicy.MUST_SAVE
    return CheckpointPolicy.PREFER_RECOMPUTE


def keep_costly_outputs(ctx, op, *args, **kwargs) -> CheckpointPolicy:
    """The lean policy: :func:`keep_side_effects`, and keep the outputs of
    :data:`SAVED` ops and of convolutions that mix channels; recompute
    everything else (a depthwise convolution costs about what its
    output's memory traffic does)."""
    packet = op.overloadpacket
    if packet in SAVED:
        return CheckpointPolicy.MUST_SAVE
    if packet is aten.convolution and args[1].shape[1] > 1:
        return CheckpointPolicy.MUST_SAVE  # weight (out, in / groups, ...)
    return keep_side_effects(ctx, op, *args, **kwargs)


def keep_widening_outputs(ctx, op, *args, **kwargs) -> CheckpointPolicy:
    """:func:`keep_costly_outputs`, except that a matrix product to fewer
    channels than it reads (a block's output projection) is recomputed:
    for a block whose kept outputs are few (MambaOut's Gated CNN block)
    that output is a large share of them."""
    packet = op.overloadpacket
    if packet in (aten.mm, aten.addmm):
        weight = args[-1]  # (in, out)
        if weight.shape[1] < weight.shape[0]:
            return CheckpointPolicy.PREFER_RECOMPUTE
    return keep_costly_outputs(ctx, op, *args, **kwargs)


@functools.lru_cache(maxsize=None)
def _contexts(policy):
    # An in-place op's kept result is its input, whose version the op
    # itself then bumps: the check for mutated kept tensors would refuse
    # it. The blocks' training forwards make no other in-place change
    # (the gradient tests would show one).
    return functools.partial(
        create_selective_checkpoint_contexts,
        policy,
        allow_cache_entry_mutation=True,
    )


def run_block(
    block: nn.Module, x: torch.Tensor, selective: bool
) -> torch.Tensor:
    """``block(x)`` under activation checkpointing: selective (``lean``;
    the block's ``checkpoint_policy`` if it names one, else
    :func:`keep_costly_outputs`) or full (``with_cp``,
    :func:`keep_side_effects`)."""
    if selective:
        policy = getattr(block, 'checkpoint_policy', keep_costly_outputs)
    else:
        policy = keep_side_effects
    return checkpoint(
        block, x, use_reentrant=False, context_fn=_contexts(policy)
    )
