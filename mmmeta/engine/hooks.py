"""Hooks that stop a broken run early and clearly."""

import math
import os.path as osp

from mmengine.hooks import Hook

from ..registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training when the loss becomes NaN or infinite.

    It runs right after the optimizer step and before the checkpoint hook,
    so weights from a diverged step are never saved: the last checkpoint in
    the work dir stays the last good one, and ``--resume`` continues from
    it.
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(
        self, runner, batch_idx: int, data_batch=None, outputs=None
    ) -> None:
        if not outputs or 'loss' not in outputs:
            return
        loss = float(outputs['loss'])
        if math.isfinite(loss):
            return
        last = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(last):
            with open(last) as f:
                where = f'the last complete checkpoint is {f.read().strip()}'
        else:
            where = 'no checkpoint was written yet'
        raise RuntimeError(
            f'The training loss is {loss} at iteration {runner.iter + 1}; '
            f'training stopped before saving these weights. {where}. '
            f'Lower the learning rate (or clip gradients) and continue with '
            f'tools/train.py CONFIG --resume.'
        )


@HOOKS.register_module()
class InferenceOptimizeHook(Hook):
    """Evaluate on the re-parameterised, compiled model
    (:func:`mmmeta.optimize_for_inference`), from any runner:

        custom_hooks = [dict(type='mmmeta.InferenceOptimizeHook')]

    It acts only before testing (``tools/test.py --compile``), after the
    checkpoint is loaded; validation inside a training run is left alone,
    since the optimised model is for inference only.

    Args:
        compile (bool): Also compile (inductor, freezing). Defaults to True.
    """

    priority = 'LOWEST'

    def __init__(self, compile: bool = True):
        self.compile = compile

    def before_test(self, runner) -> None:
        from ..models.inference import optimize_for_inference

        optimize_for_inference(runner.model, compile=self.compile)
        runner.logger.info(
            'mmmeta: testing the re-parameterised'
            + (', compiled' if self.compile else '')
            + ' model'
        )

    def after_test(self, runner) -> None:
        from ..models.inference import CompiledInference

        model = getattr(runner.model, 'module', runner.model)
        for module in model.modules():
            if isinstance(module, CompiledInference):
                runner.logger.info(
                    f'mmmeta: {len(module.sizes)} input sizes, '
                    f'{module.compiles} compiled graphs'
                    + (', then eager' if module.eager else '')
                )
