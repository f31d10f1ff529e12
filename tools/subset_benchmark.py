"""Copy the first pairs of every task and split of a prepared benchmark (prepare-real, prepare-data)
into a smaller one of the same layout, for a machine that can only be sent a few tens of MiB (the
device check, benchmarks/device_check.sh). Its ``benchmark.json`` says what it is a subset of.

    python tools/subset_benchmark.py datasets/real_mini datasets/device_mini [--train 48 --val 8 --test 16]
"""
import argparse
import json
import os
import shutil
import sys
from os import path as osp


def subset(src, out, counts):
    """Copy the first ``counts[split]`` names (sorted) of every ``<task>/<split>/{gt,lq}`` of ``src``."""
    if osp.exists(out):
        raise SystemExit(f'{out} exists: choose a new folder (nothing is overwritten)')
    description = osp.join(src, 'benchmark.json')
    if not osp.isfile(description):
        raise SystemExit(f'{description} not found: expected a benchmark prepared by prepare-real or prepare-data')
    meta = json.load(open(description))
    for task in meta['tasks']:
        for split, count in counts.items():
            names = sorted(os.listdir(osp.join(src, task, split, 'gt')))[:count]
            for side in ('gt', 'lq'):
                os.makedirs(osp.join(out, task, split, side))
                for name in names:
                    shutil.copy2(osp.join(src, task, split, side, name), osp.join(out, task, split, side, name))
    meta['subset'] = dict(of=osp.basename(osp.normpath(src)), first_pairs=counts)
    with open(osp.join(out, 'benchmark.json'), 'w') as f:
        json.dump(meta, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src')
    parser.add_argument('out')
    for split, count in (('train', 48), ('val', 8), ('test', 16)):
        parser.add_argument(f'--{split}', type=int, default=count, help='pairs per task (default: %(default)s)')
    args = parser.parse_args()
    subset(args.src, args.out, dict(train=args.train, val=args.val, test=args.test))
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
