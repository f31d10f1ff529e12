"""Every method under the same budget, tuned the same way, compared against the retrained model.

For a forgotten task, each method of ``options/unlearn/methods.yml`` runs once per
learning rate of its sweep; the run with the lowest Avg. Gap on the **val** split is
kept, and only the kept runs are evaluated on the **test** split. ``sweep`` scores
variants of a method's options the same way (``runs/sweep.py``).
"""
import json
import re
from collections import OrderedDict
from os import path as osp

from ..evaluation.networks import load_network
from ..evaluation.report_writer import summary_of
from ..evaluation.reporting import report_models
from ..evaluation.unlearning_report import evaluate_models, gaps
from ..prepare.mini_benchmark import build_mini_benchmark
from ..tasks import MINI_ROOT, TASKS
from ..utils import UserError
from ..utils.files import machine, write_json_atomic
from ..zoo import zoo_network_opt
from .compose import compose_option, methods
from .demo import cost_entry, reference_models
from .launch import run_training


def describe_val_gaps(row):
    """Forget gap, retain change and MIA gap of a run row (or a seed summary) on one line."""
    forget = ' '.join(f'{v:.2f}' for v in row['val_forget_gap'].values())
    retain = ' '.join(f'{t} {v:+.2f}' for t, v in row['val_retain_change'].items())
    return f"forget gap {forget} dB, retain {retain}, MIA gap {row['val_mia_gap']:.3f}"


def val_scores(gap):
    """One model's entry of ``gaps`` on the val split, under the keys a run row keeps."""
    return OrderedDict(val_avg_gap=gap['avg_gap'], val_forget_gap=gap['forget_gap'],
                       val_retain_change=gap['retain_change'], val_mia_gap=gap['mia_gap'])


def val_line(label, scores):
    return f"  {label:<28} val Avg. Gap {scores['val_avg_gap']:6.3f}  {describe_val_gaps(scores)}"


class Runner:
    """Runs and scores unlearning jobs for one forgotten task on one benchmark."""

    def __init__(self, task, data_root, out, steps=None):
        build_mini_benchmark(data_root, quiet=True)
        self.task, self.data_root, self.out, self.steps = task, data_root, out, steps
        self.network_opt = zoo_network_opt()
        self.reference_weights = reference_models(task)
        self.reference = OrderedDict((label, load_network(path, self.network_opt)[0])
                                     for label, path in self.reference_weights.items())
        self.val_reference = evaluate_models(self.reference, data_root, TASKS, task, 'val', non_member_splits=('val',))
        self.rows = []
        # the bar every run must clear: a run scoring above it is worse than not unlearning at all
        self.untouched = val_scores(gaps(self.val_reference, TASKS, task)['original'])
        print(val_line('original (no unlearning)', self.untouched), flush=True)

    def run(self, label, method, lr=None, overrides=None):
        """One unlearning job, scored by Avg. Gap on the val split."""
        name = re.sub(r'[^\w.=-]+', '_', f'{self.task}_{label}').strip('_')  # a folder name
        opt = compose_option(self.task, method, lr, self.data_root, name=name, total_iter=self.steps,
                             overrides=overrides)
        run = run_training(opt, osp.join(self.out, 'work'))
        net = load_network(run['weights'], self.network_opt)[0]
        scored = evaluate_models({'candidate': net}, self.data_root, TASKS, self.task, 'val',
                                 non_member_splits=('val',))
        gap = gaps(OrderedDict(self.val_reference, candidate=scored['candidate']), TASKS, self.task)['candidate']
        scores = val_scores(gap)
        row = OrderedDict(label=label, method=method, lr=opt['train']['optim_g']['lr'], overrides=overrides or {},
                          seed=opt['manual_seed'], **scores, wall_time_s=round(run['wall_time_s'], 1),
                          steps=run['steps'], weights=run['weights'])
        self.rows.append(row)
        print(f"{val_line(label, scores)}  ({run['wall_time_s']:.0f} s)", flush=True)
        return row, net, run

    def save_rows(self, name):
        write_json_atomic(self.rows, osp.join(self.out, name))


def merge_into_results(summary, results_path):
    """Replace the rows of the methods just run in a kept results file (``benchmarks/results/``),
    after checking that the file was made against the same original and retrained models."""
    with open(results_path, encoding='utf-8') as f:
        kept = json.load(f)
    for label in ('original', 'retrained'):
        old, new = kept['models'][label], summary['models'][label]
        if kept['task'] != summary['task'] or any(abs(old['psnr'][t] - new['psnr'][t]) > 0.01 for t in new['psnr']):
            raise UserError(f'{results_path}: its {label} model does not score as this run\'s; not merging.')
    run = [label for label in summary['models'] if label not in ('original', 'retrained')]
    for label in run:
        kept['models'][label] = summary['models'][label]
    kept.setdefault('updates', []).append(OrderedDict(models=run, command=summary['command'],
                                                      machine=summary['machine']))
    write_json_atomic(kept, results_path)


def run_benchmark(task, data_root=MINI_ROOT, out='benchmark_runs', method_names=None, lrs=None, steps=None,
                  update_results=None):
    """The comparison of all methods for one forgotten task; returns the test report.

    ``lrs`` replaces every method's learning-rate sweep (to check where a sweep should
    sit); ``steps`` the option file's step budget (the same for every method). Writes
    report.json/md/png and ``summary.json`` (what ``benchmarks/results/`` keeps).
    """
    catalogue = methods()
    method_names = method_names or list(catalogue)
    unknown = [m for m in method_names if m not in catalogue]
    if unknown:
        raise UserError(f'--methods: {unknown} not in options/unlearn/methods.yml ({list(catalogue)}).')
    out = osp.join(out, f'forget_{task}')
    runner = Runner(task, data_root, out, steps)
    chosen = OrderedDict()
    for method in method_names:
        grid = lrs or catalogue[method]['lrs']
        print(f'{method}: learning rates {grid}', flush=True)
        candidates = [runner.run(f'{method}_lr{lr:g}', method, lr) for lr in grid]
        chosen[method] = min(candidates, key=lambda c: c[0]['val_avg_gap'])
        runner.save_rows('val_sweep.json')
    networks = OrderedDict(runner.reference)
    weights = OrderedDict(runner.reference_weights)
    costs = OrderedDict()
    for method, (row, net, run) in chosen.items():
        networks[method] = net
        costs[method] = dict(cost_entry(run, task), lr=row['lr'])
        weights[method] = run['weights']
    report, _ = report_models(networks, task, data_root, TASKS, out, title='all methods, same budget, lr chosen on val',
                              costs=costs, weights=weights)
    command = f'basicsr-unlearn benchmark --task {task}'
    if method_names != list(catalogue):
        command += f' --methods {" ".join(method_names)}'
    summary = summary_of(report, command=command)
    summary['machine'] = machine()
    write_json_atomic(summary, osp.join(out, 'summary.json'))
    if update_results:
        merge_into_results(summary, update_results)
    return report
