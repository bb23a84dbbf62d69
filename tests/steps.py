"""Training-step helpers of the contract tests, on the CPU
(test_contracts.py) and on a GPU (test_gpu.py). Not a test module."""

import torch
from benchmark import in_use_bytes
from torch import nn


def train_step(model: nn.Module, x: torch.Tensor):
    """Outputs and gradients (by parameter name, and ``'input'``) of one
    seeded forward + backward."""
    model.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_()
    torch.manual_seed(0)
    outs = model(x)
    sum((o * o).mean() for o in outs).backward()
    grads = {
        n: p.grad.clone()
        for n, p in model.named_parameters()
        if p.grad is not None
    }
    return [o.detach() for o in outs], dict(grads, input=x.grad)


def held_bytes(run) -> int:
    """Bytes the allocator holds after ``run()`` (a forward pass whose
    result it returns) more than before: what backward will read, the
    outputs included. Unlike saved-tensor hooks, it sees what activation
    checkpointing keeps."""
    import gc

    gc.collect()
    before = in_use_bytes()
    result = run()
    held = in_use_bytes() - before
    del result
    return held


def assert_gradients_close(grads, expected, tolerance: float) -> None:
    """Every gradient within ``tolerance`` of its largest magnitude (at
    least 1e-3 of the largest gradient of all: a gradient that is a small
    difference of large sums, e.g. of a norm bias in front of pooling,
    whose terms nearly cancel, is compared there)."""
    assert grads.keys() == expected.keys() and len(expected) > 10
    floor = 1e-3 * max(g.abs().max() for g in expected.values())
    for name, grad in expected.items():
        error = (grads[name] - grad).abs().max() / grad.abs().max().clamp_min(
            floor
        )
        assert error <= tolerance, (name, error.item())


def with_trained_scales(model: nn.Module) -> nn.Module:
    """Norm weights and scales drawn around 1 (every block matters)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ('norm' in name or name.endswith('.scale')):
                p.uniform_(0.5, 1.5)
    return model


def assert_compiled_training_matches(model: nn.Module, x: torch.Tensor):
    """The training step of ``torch.compile(model, fullgraph=True)``
    (through AOTAutograd) gives the eager outputs and gradients."""
    from fixture_utils import max_relative_error

    eager_outs, eager_grads = train_step(model, x)
    torch._dynamo.reset()
    compiled = torch.compile(model, backend='aot_eager', fullgraph=True)
    outs, grads = train_step(compiled, x)
    grads = {n.replace('_orig_mod.', ''): g for n, g in grads.items()}
    for out, ref in zip(outs, eager_outs):
        assert max_relative_error(out, ref) <= 1e-5
    assert_gradients_close(grads, eager_grads, 1e-5)
