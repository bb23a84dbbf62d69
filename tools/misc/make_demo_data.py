"""Write a small synthetic dataset in the real ADE20K or COCO layout, or
an ImageNet-like class-folder layout.

    python tools/misc/make_demo_data.py ade20k data/demo/ade
    python tools/misc/make_demo_data.py coco data/demo/coco --num-train 40
    python tools/misc/make_demo_data.py imagenet data/demo/imagenet
"""

import argparse

from mmmeta.utils.synthetic_data import make_dataset


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('kind', choices=['ade20k', 'coco', 'imagenet'])
    parser.add_argument('root', help='output directory (the data_root)')
    parser.add_argument('--num-train', type=int, default=None)
    parser.add_argument('--num-val', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    make_dataset(
        args.kind, args.root, args.num_train, args.num_val, seed=args.seed
    )
    print(f'wrote a synthetic {args.kind} dataset to {args.root}')


if __name__ == '__main__':
    main()
