"""How far an interrupted-and-resumed run, and a 2-process run, end from the plain run.

For each shipped unlearning file (``options/unlearn_<task>.yml`` on the
mini benchmark, made small: ``--batch`` pairs a step, ``--crop`` px crops, ``--iters`` iterations, a checkpoint every
``--every``), it trains through BasicSR's loop (``python -m basicsr_unlearn.train``):

* plain: ``--iters`` iterations in one go;
* resumed: stopped after the first checkpoint that is not at an epoch boundary (as a kill
  right after saving leaves it), then ``--auto_resume`` to ``--iters``;
* 2 processes: ``torchrun --nproc_per_node=2`` with half the batch each.

and prints the largest absolute difference of any final weight to the plain run's.

    python benchmarks/reproducibility.py [--tasks rain haze noise] [--json out.json]
"""
import argparse
import json
import os
import tempfile
from os import path as osp

import torch
import yaml

from basicsr_unlearn.utils.options import OptionLoader
from basicsr_unlearn.prepare.mini_benchmark import build_mini_benchmark
from basicsr_unlearn.runs.compose import compose_option
from basicsr_unlearn.runs.launch import run_training
from basicsr_unlearn.tasks import FORGETTABLE, MINI_ROOT


def train(opt, work, extra=(), nproc=1):
    """Final weights of ``opt`` trained in ``work`` (one thread per process, as the tests run)."""
    run = run_training(opt, work, show_progress=False, nproc=nproc, extra_args=extra)
    return torch.load(run['weights'], weights_only=True)['params']


def max_difference(a, b):
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


def measure(task, data_root, work, batch, crop, iters, every, overrides=None):
    def option(name, total, per_process_batch=batch):
        opt = compose_option(task, data_root=data_root, name=f'{task}_{name}', total_iter=total, overrides=overrides)
        opt['datasets']['train'].update(batch_size_per_gpu=per_process_batch, gt_size=crop)
        opt['logger']['save_checkpoint_freq'] = every
        return opt

    plain = train(option('plain', iters), work)
    train(option('resumed', every + 1), work)  # saves its first state mid-epoch, then ends: a kill after saving
    resumed = train(option('resumed', iters), work, ['--auto_resume'])
    two = train(option('two', iters, batch // 2), work, nproc=2)
    return dict(task=task, resumed=max_difference(plain, resumed), two_processes=max_difference(plain, two))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', default=list(FORGETTABLE), choices=FORGETTABLE)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--crop', type=int, default=32)
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--every', type=int, default=10)
    parser.add_argument('--data', default=MINI_ROOT)
    parser.add_argument('--set', nargs='+', default=[], help='option key = value on top of each file, as in '
                        '`basicsr-unlearn sweep --set`')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args()
    os.environ['OMP_NUM_THREADS'] = '1'  # the training subprocesses inherit it
    build_mini_benchmark(args.data, quiet=True)
    overrides = {key: yaml.load(value, Loader=OptionLoader) for key, _, value in (s.partition('=') for s in args.set)}
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for task in args.tasks:
            rows.append(measure(task, osp.abspath(args.data), work, args.batch, args.crop, args.iters, args.every,
                                overrides))
            print(f"{task:<6} resumed vs plain {rows[-1]['resumed']:.3g}   2 processes vs 1 "
                  f"{rows[-1]['two_processes']:.3g}   (max abs weight difference)", flush=True)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(dict(batch=args.batch, crop=args.crop, iters=args.iters, every=args.every, set=args.set,
                           rows=rows), f, indent=2)


if __name__ == '__main__':
    main()
