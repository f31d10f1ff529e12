"""Which retain terms keep the retained tasks when ``forget`` unlearns noise: variants of forget's
default recipe (the stop rule included), three seeds each, judged on the val split only, by the stop
rule's own checks. A variant replaces the file only if it meets the rule on more seeds than the file,
or as often with a retained median change better by more than the seed spread.

Each run is capped at ``--cap`` steps (the stop rule checks every 10), so that a variant that never
meets the rule costs a bounded time; the test split is not read here (``forget_defaults.py`` reports
the chosen recipe on test).

    python benchmarks/retain_fixes.py --data datasets/real_mini --zoo real_mini --task noise
        [--variants 'file now' distill ...]   # writes benchmarks/results/<benchmark>/retain_fixes.json
"""
import argparse
import shlex
import sys
import time
from collections import OrderedDict
from os import path as osp

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.runs.forget import forget_option, stop_record
from basicsr_unlearn.runs.launch import run_training
from basicsr_unlearn.runs.references import reference_models
from basicsr_unlearn.tasks import FORGETTABLE
from basicsr_unlearn.utils.files import machine, write_json_atomic
from basicsr_unlearn.utils.options import set_option_key
from basicsr_unlearn.zoo import ORIGINAL, ZOOS, zoo_network_opt
# benchmarks/ is on the path of a script run from it
from per_task_results import kept_results, results_path

SEEDS = (0, 1, 2)
#: options/unlearn_noise.yml's train keys before this comparison chose its retain terms
FILE_BEFORE = {'train:pixel_opt:loss_weight': 1.0, 'train:distill_opt': None,
               'train:adversarial_opt': {'loss_weight': 0.5, 'norm': 'linf', 'eps': 0.0039, 'steps': 1}}
#: option keys on top of forget's defaults ({'a:b:c': value}, ``set_option_key``), each with why it might help
VARIANTS = OrderedDict([
    ('file before', (FILE_BEFORE, 'retain descent 1 and PGD 1/255 at 0.5, rain drawn 3 to 1')),
    ('equal retain draw', (dict(FILE_BEFORE, **{'datasets:train:retain:0:weight': 1}),
                           'every retained task drawn as often')),
    ('distill', (dict(FILE_BEFORE, **{'train:distill_opt': {'type': 'L1Loss', 'loss_weight': 1.0}}),
                 "retain outputs also held to the original's (L1, weight 1)")),
    ('lr 3e-4', (dict(FILE_BEFORE, **{'train:optim_g:lr': 3e-4}), 'smaller Adam steps')),
    ('equal draw + distill', (dict(FILE_BEFORE, **{'datasets:train:retain:0:weight': 1,
                                                   'train:distill_opt': {'type': 'L1Loss', 'loss_weight': 1.0}}),
                              'the two that each kept one retained task')),
    ('file now, L1 distillation', ({'train:distill_opt': {'type': 'L1Loss', 'loss_weight': 1.0}},
                                   'descent 0.5, distillation (L1, weight 1), no PGD term')),
    ('file now, eps 1e-4', ({'train:distill_opt': {'type': 'CharbonnierLoss', 'loss_weight': 1.0, 'eps': 1e-4}},
                            'the same with Charbonnier distillation (eps 1e-4), smooth at 0')),
    ('file now', ({}, 'Charbonnier eps 1e-3, as shipped')),
])


def check_row(check, task_names):
    """The retained tasks' val state at one stop-rule check: mean PSNR, median change, collapsed share."""
    return OrderedDict((name, OrderedDict((key, check['val'][name].get(key)) for key in
                                          ('psnr', 'median_change', 'collapsed_share', 'met')))
                       for name in task_names)


def measure(zoo, task, data_root, variant, cap, out):
    overrides, _ = VARIANTS[variant]
    weights = reference_models(task, zoo)['original']
    network_opt = zoo_network_opt(ORIGINAL, zoo)
    runs = OrderedDict()
    for seed in SEEDS:
        name = f"{zoo}_{task}_{variant.replace(' ', '_')}_seed{seed}"
        opt = forget_option(weights, task, data_root, name, network_opt)
        opt['manual_seed'] = seed
        opt['train']['total_iter'] = cap
        for dotted, value in overrides.items():
            set_option_key(opt, dotted, value)
        run = run_training(opt, osp.join(out, 'work'), show_progress=False)
        record = stop_record(run)
        last = record['checks'][-1]
        retained = [name for name in last['val'] if name.startswith('val_retain')]
        runs[f'seed {seed}'] = OrderedDict(
            stopped_at=record['stopped_at'], wall_s=round(run['wall_time_s'], 1),
            forget_met=[all(v['met'] for k, v in c['val'].items() if k.startswith('val_forget'))
                        for c in record['checks']],
            retained=[check_row(c, retained) for c in record['checks']])
        print(f'{zoo} {task} {variant} seed {seed}: stopped at {record["stopped_at"]}, '
              f'{run["wall_time_s"]:.0f} s', flush=True)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', required=True)
    parser.add_argument('--zoo', required=True, choices=list(ZOOS))
    parser.add_argument('--task', required=True, choices=FORGETTABLE)
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument('--cap', type=int, default=80, help='steps at most a run (the stop rule checks every 10)')
    parser.add_argument('--out', default='retain_fixes_runs')
    args = parser.parse_args()
    benchmark = open_benchmark(args.data)['name']
    path = results_path(benchmark, 'retain_fixes.json')
    results = kept_results(path)  # variants measured by an earlier command are kept
    results.update(command='python benchmarks/retain_fixes.py --data <benchmark> --zoo <zoo> --task <task>',
                   benchmark=benchmark, machine=machine(), seeds=list(SEEDS), cap=args.cap)
    table = results.setdefault('runs', OrderedDict()).setdefault(args.zoo, OrderedDict()).setdefault(
        args.task, OrderedDict())
    for variant in args.variants:
        started = time.perf_counter()
        table[variant] = OrderedDict(command=shlex.join(['python', 'benchmarks/retain_fixes.py'] + sys.argv[1:]),
                                     options=VARIANTS[variant][0], why=VARIANTS[variant][1],
                                     seeds=measure(args.zoo, args.task, args.data, variant, args.cap, args.out))
        table[variant]['wall_s'] = round(time.perf_counter() - started, 1)
        write_json_atomic(results, path)  # what a stopped run finished is kept
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
