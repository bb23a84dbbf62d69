"""The fastest inference path a user can reach in one call.

    import mmmeta
    model = mmmeta.optimize_for_inference(model)   # backbone or whole model

``switch_to_deploy()`` folds norms' affines, layer scales, BatchNorms and
parallel branches into the projections; ``torch.compile`` with inductor's
*freezing* then treats the weights as constants (pre-packed GEMM weights,
fused elementwise kernels). Outputs equal the eager model's up to float
rounding. The result is for inference only (call it under
``torch.no_grad()``; freezing applies there).

Test sets come in many image sizes (ADE20K's validation images do), so the
compiled part is traced with a dynamic height and width from the first
call, and the number of compilations is capped: once ``max_compiles``
graphs are compiled, a further one (a size outside every compiled graph's
guards) is not compiled, and the model runs eagerly in its deploy form from
then on, with a warning that says so.
"""

import warnings

import torch
from torch import nn

from .layers import switch_to_deploy

#: inductor options of the compiled inference path
COMPILE_OPTIONS = dict(freezing=True)
#: compilations before the compiled path gives way to the eager one
MAX_COMPILES = 4


class CompiledInference(nn.Module):
    """``module`` compiled for inference with a dynamic image size and a
    bound on compilations.

    Args:
        module (nn.Module): What to compile (in its deploy form).
        max_compiles (int): Graphs compiled at most; past them the eager
            ``module`` runs. Defaults to ``MAX_COMPILES``.
    """

    def __init__(self, module: nn.Module, max_compiles: int = MAX_COMPILES):
        super().__init__()
        self.module = module
        self.max_compiles = max_compiles
        self.compiles = 0
        self.eager = False
        self.sizes = set()  # input sizes seen
        inductor = torch._TorchCompileInductorWrapper(
            None, COMPILE_OPTIONS, None
        )

        def backend(graph_module, example_inputs):
            if self.compiles >= self.max_compiles:
                self.eager = True
                return graph_module.forward  # this call only, not compiled
            self.compiles += 1
            return inductor(graph_module, example_inputs)

        # kept out of the module tree: the weights are ``module``'s
        self.__dict__['compiled'] = torch.compile(module, backend=backend)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == 'module':
                raise
            return getattr(self.module, name)  # out_channels and the like

    def forward(self, inputs: torch.Tensor, *args, **kwargs):
        if isinstance(inputs, torch.Tensor):
            self.sizes.add(tuple(inputs.shape[2:]))
        if self.eager:
            return self.module(inputs, *args, **kwargs)
        if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
            torch._dynamo.maybe_mark_dynamic(inputs, (2, 3))
        outputs = self.compiled(inputs, *args, **kwargs)
        if self.eager:  # this call hit the bound (ran uncompiled)
            warnings.warn(
                f'mmmeta: {type(self.module).__name__} was compiled for '
                f'{self.compiles} input-size ranges and input '
                f'{tuple(inputs.shape)} needs another; running the deployed '
                f'model eagerly from now on (same outputs; raise '
                f'max_compiles to compile more).',
                stacklevel=2,
            )
        return outputs


def optimize_for_inference(
    model: nn.Module,
    compile: bool = True,
    part: str = 'backbone',
    max_compiles: int = MAX_COMPILES,
) -> nn.Module:
    """Re-parameterise ``model`` for inference and compile its heavy part.

    Args:
        model (nn.Module): An mmmeta backbone, or a detector / segmentor /
            classifier holding one (an mmengine model wrapper is unwrapped).
        compile (bool): Compile with ``torch.compile`` and inductor
            freezing, height and width dynamic. Compiling takes seconds to
            minutes per graph. Defaults to True.
        part (str): Which child of a whole model is compiled; the data
            preprocessor and heads' post-processing stay eager. Defaults to
            ``'backbone'``. A model without that child is compiled whole.
        max_compiles (int): Compilations at most, then the deployed model
            runs eagerly (see :class:`CompiledInference`). Defaults to
            ``MAX_COMPILES``.

    Returns:
        nn.Module: ``model`` itself, in eval mode, with ``part`` replaced by
        its :class:`CompiledInference` (or ``model`` wrapped in one when it
        has no such child).
    """
    model = getattr(model, 'module', model)  # DDP / MMDistributedDataParallel
    switch_to_deploy(model)
    if not compile:
        return model
    target = getattr(model, part, None)
    if isinstance(target, nn.Module):
        setattr(model, part, CompiledInference(target, max_compiles))
        return model
    return CompiledInference(model, max_compiles)
