"""The main job on an embedded default, end to end, on the CPU.

1. makes a synthetic ADE20K-layout dataset in data/demo/ade if absent;
2. trains Semantic FPN + PoolFormer-S12 on it with tools/train.py
   (configs/demo/fpn_poolformer_s12_demo.py: the published config shrunk to
   a few CPU minutes);
3. evaluates mIoU with tools/test.py, saving visualised predictions;
4. plots the loss and compares the mIoU with a constant prediction;
5. draws the trained model's prediction on one validation image with
   demo/image_demo.py (mmseg's MMSegInferencer), its class activation map
   (HiResCAM) and its per-stage feature maps with
   tools/analysis/visualize_cam.py.

Everything lands in work_dirs/demo (curves.png, prediction.png, cam.png,
features.png, vis/, the checkpoint, logs).
"""

import argparse
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

import numpy as np
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'demo', 'fpn_poolformer_s12_demo.py')
DATA = osp.join(ROOT, 'data', 'demo', 'ade')


def run(cmd) -> str:
    """Run a tool, streaming its output; return it."""
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    if proc.wait():
        sys.exit(f'{cmd[1]} failed with exit code {proc.returncode}')
    return ''.join(lines)


def constant_prediction_miou(ann_dir: str, num_classes: int) -> float:
    """mIoU of predicting the most frequent class everywhere."""
    counts = np.zeros(num_classes + 1, np.int64)
    for path in glob.glob(osp.join(ann_dir, '*.png')):
        counts += np.bincount(
            np.asarray(Image.open(path)).ravel(), minlength=num_classes + 1
        )[: num_classes + 1]
    counts = counts[1:]  # 0 is ignored (reduce_zero_label)
    present = counts > 0
    return float(counts.max() / counts.sum() / present.sum() * 100)


def plot(work_dir: str, miou: float, baseline: float) -> str:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    logs = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    )
    steps, losses = [], []
    with open(logs[-1]) as f:
        for line in f:
            entry = json.loads(line)
            if 'loss' in entry:
                steps.append(entry['step'])
                losses.append(entry['loss'])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(steps, losses)
    ax1.set(
        xlabel='iteration',
        ylabel='training loss',
        title='FPN-PoolFormer-S12, synthetic ADE20K',
    )
    ax2.bar(
        ['constant\nprediction', 'trained'],
        [baseline, miou],
        color=['grey', 'tab:blue'],
    )
    ax2.set(ylabel='validation mIoU (%)', title='mIoU')
    for x, v in enumerate([baseline, miou]):
        ax2.text(x, v + 1, f'{v:.1f}', ha='center')
    fig.tight_layout()
    out = osp.join(work_dir, 'curves.png')
    fig.savefig(out, dpi=100)
    return out


def draw_pictures(work_dir: str, checkpoint: str) -> list:
    """The trained model's prediction, CAM and feature maps on the
    first validation image."""
    image = sorted(glob.glob(osp.join(DATA, 'images', 'validation', '*')))[0]
    names = ['prediction.png', 'cam.png', 'features.png']
    out = [osp.join(work_dir, name) for name in names]
    run(
        [
            sys.executable,
            'demo/image_demo.py',
            image,
            CONFIG,
            checkpoint,
            '--out-file',
            out[0],
        ]
    )
    tool = 'tools/analysis/visualize_cam.py'
    run([sys.executable, tool, CONFIG, checkpoint, image, '--out', out[1]])
    run(
        [
            sys.executable,
            tool,
            CONFIG,
            checkpoint,
            image,
            '--out',
            out[2],
            '--features',
        ]
    )
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo')
    )
    parser.add_argument(
        '--cfg-options',
        nargs='*',
        default=[],
        help='passed on to tools/train.py and tools/test.py',
    )
    args = parser.parse_args(argv)
    start = time.time()
    if not osp.isdir(osp.join(DATA, 'images', 'training')):
        run([sys.executable, 'tools/misc/make_demo_data.py', 'ade20k', DATA])
    extra = ['--cfg-options'] + args.cfg_options if args.cfg_options else []
    run(
        [sys.executable, 'tools/train.py', CONFIG, '--work-dir', args.work_dir]
        + extra
    )
    checkpoint = max(
        glob.glob(osp.join(args.work_dir, 'iter_*.pth')), key=osp.getmtime
    )
    output = run(
        [
            sys.executable,
            'tools/test.py',
            CONFIG,
            checkpoint,
            '--work-dir',
            args.work_dir,
            '--show-dir',
            osp.join(args.work_dir, 'vis'),
        ]
        + extra
    )
    found = re.findall(r'mIoU: ([0-9.]+)', output)
    if not found:
        sys.exit('tools/test.py printed no mIoU')
    miou = float(found[-1])
    baseline = constant_prediction_miou(
        osp.join(DATA, 'annotations', 'validation'), 5
    )
    curves = plot(args.work_dir, miou, baseline)
    pictures = draw_pictures(args.work_dir, checkpoint)
    print(
        f'\nmain job done in {time.time() - start:.0f} s: validation mIoU '
        f'{miou:.2f} vs {baseline:.2f} for a constant prediction.\n'
        f'curves: {curves}\nvisualised predictions: '
        f'{osp.join(args.work_dir, "vis")}\n'
        f'prediction, CAM, feature maps: {", ".join(pictures)}'
    )
    if miou < baseline + 10:
        sys.exit(
            'the network did not learn clearly better than a constant '
            'prediction'
        )


if __name__ == '__main__':
    os.chdir(ROOT)
    main()
