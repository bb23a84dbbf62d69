# mmmeta's runtime: every mmmeta config runs under mmmeta.SafeRunner
# (mmmeta/engine/runner.py), whichever tool starts it (mmmeta's, mmseg's or
# mmdet's tools/train.py and tools/test.py, `mim train`): SyncBN as BN on
# one process, neck and data checks before anything is built, atomic
# checkpoints and a stop on a NaN/Inf loss. Set runner_type = 'Runner' to
# run under mmengine's plain runner instead.
runner_type = 'mmmeta.SafeRunner'
