"""Every method under the same budget, tuned the same way, compared against the retrained model.

For a forgotten task, each method of ``basicsr_unlearn/runs/methods.yml`` runs once per
learning rate of its sweep; the run with the lowest Avg. Gap on the **val** split is
kept, and only the kept runs are evaluated on the **test** split. ``sweep`` scores
variants of a method's options the same way (``runs/sweep.py``).
"""
import hashlib
import json
import re
import time
from collections import OrderedDict
from os import path as osp
from statistics import fmean

from ..evaluation.acceptance import TARGETS
from ..evaluation.networks import network_from_weights
from ..evaluation.report_writer import summary_of
from ..evaluation.reporting import report_models
from ..evaluation.unlearning_report import evaluate_models, gaps
from ..prepare.benchmark_root import open_benchmark
from ..tasks import BENCHMARK_ROOTS, MINI_ROOT, TASKS
from ..utils import UserError
from ..utils.files import machine, write_json_atomic
from ..zoo import DEFAULT_BENCHMARK, ORIGINAL, zoo_benchmark, zoo_network_opt
from .compose import compose_option, methods
from .launch import run_training
from .preflight import preflight
from .references import cost_entry, reference_models


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


def option_fingerprint(opt):
    """A run's identity: its whole option dict, so a changed recipe, rate or seed is never taken for a kept run."""
    return hashlib.sha256(json.dumps(opt, sort_keys=True, default=str).encode()).hexdigest()


class Runner:
    """Runs and scores unlearning jobs for one forgotten task on one benchmark, from one zoo's original
    (``zoo``: another architecture's zoo of the benchmark; default the benchmark's own).

    A run already scored in ``out``'s val_sweep.json under the same options, whose weights are still
    there, is kept rather than trained again: an interrupted comparison continues where it stopped."""

    def __init__(self, task, data_root, out, steps=None, zoo=None):
        self.benchmark = open_benchmark(data_root)['name']
        self.zoo = zoo or self.benchmark
        if zoo_benchmark(self.zoo) != self.benchmark:
            raise UserError(f'--zoo {self.zoo} was trained on {zoo_benchmark(self.zoo)}, not on {data_root} '
                            f'({self.benchmark}).')
        self.task, self.data_root, self.out, self.steps = task, data_root, out, steps
        self.network_opt = zoo_network_opt(ORIGINAL, self.zoo)
        first = self.option('ours', None, None, None)
        preflight(first, first['path']['pretrain_network_g'], self.network_opt)  # fails here, not after hours of runs
        self.reference_weights = reference_models(task, self.zoo)
        self.reference = OrderedDict((label, network_from_weights(path, self.network_opt)[0])
                                     for label, path in self.reference_weights.items())
        self.val_reference = evaluate_models(self.reference, data_root, TASKS, task, 'val', non_member_splits=('val',))
        self.rows = []
        self.kept = self.kept_rows()
        # the bar every run must clear: a run scoring above it is worse than not unlearning at all
        self.untouched = val_scores(gaps(self.val_reference, TASKS, task)['original'])
        print(val_line('original (no unlearning)', self.untouched), flush=True)

    def option(self, method, lr, name, overrides):
        opt = compose_option(self.task, method, lr, self.data_root, name=name, total_iter=self.steps,
                             overrides=overrides, benchmark=self.zoo)
        opt['network_g'] = dict(self.network_opt)
        return opt

    def kept_rows(self):
        """{label: row} of the runs an earlier call scored in this folder."""
        path = osp.join(self.out, 'val_sweep.json')
        if not osp.isfile(path):
            return {}
        with open(path, encoding='utf-8') as f:
            return {row['label']: row for row in json.load(f) if 'option_sha256' in row}

    def run(self, label, method, lr=None, overrides=None):
        """One unlearning job, scored by Avg. Gap on the val split."""
        name = re.sub(r'[^\w.=-]+', '_', f'{self.task}_{label}').strip('_')  # a folder name
        opt = self.option(method, lr, name, overrides)
        fingerprint = option_fingerprint(opt)
        kept = self.kept.get(label)
        if kept and kept['option_sha256'] == fingerprint and osp.isfile(kept['weights']):
            net = network_from_weights(kept['weights'], self.network_opt)[0]
            run = dict(weights=kept['weights'], wall_time_s=kept['wall_time_s'], steps=kept['steps'])
            self.rows.append(kept)
            print(f"{val_line(label, kept)}  (kept from an earlier call)", flush=True)
            return kept, net, run
        run = run_training(opt, osp.join(self.out, 'work'))
        net = network_from_weights(run['weights'], self.network_opt)[0]
        started = time.perf_counter()
        scored = evaluate_models({'candidate': net}, self.data_root, TASKS, self.task, 'val',
                                 non_member_splits=('val',))
        gap = gaps(OrderedDict(self.val_reference, candidate=scored['candidate']), TASKS, self.task)['candidate']
        scores = val_scores(gap)
        row = OrderedDict(label=label, method=method, lr=opt['train']['optim_g']['lr'], overrides=overrides or {},
                          seed=opt['manual_seed'], **scores, wall_time_s=round(run['wall_time_s'], 1),
                          steps=run['steps'], val_evaluation_s=round(time.perf_counter() - started, 1),
                          weights=run['weights'], option_sha256=fingerprint)
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
    swept = {row['method'] for row in summary['val_sweep']}
    kept['val_sweep'] = [r for r in kept.get('val_sweep', []) if r['method'] not in swept] + summary['val_sweep']
    kept['chosen_lr'] = OrderedDict(kept.get('chosen_lr', {}), **summary['chosen_lr'])
    kept.setdefault('updates', []).append(OrderedDict(models=run, command=summary['command'],
                                                      machine=summary['machine']))
    refresh_provenance(kept)
    write_json_atomic(kept, results_path)


#: a kept results file every row of which a later command re-ran says so, instead of its first origin
RERUN_PROVENANCE = ('every method row written by the commands under `updates` (each re-measured the original and '
                    'retrained rows, within 0.01 dB)')


def refresh_provenance(kept):
    """Replace a kept file's provenance once the ``updates`` have re-run every method row."""
    rerun = {label for update in kept.get('updates', []) for label in update['models']}
    if set(kept['models']) - {'original', 'retrained'} <= rerun:
        kept['provenance'] = RERUN_PROVENANCE


def run_label(method, lr, seed=None):
    return f'{method}_lr{lr:g}' if seed is None else f'{method}_lr{lr:g}_seed{seed}'


def spread_of(values):
    """Mean and spread (max - min) of one number over seeds, with the values."""
    values = [float(v) for v in values]
    return OrderedDict(mean=fmean(values), spread=max(values) - min(values), values=values)


def per_image_spreads(gaps_):
    """Per retained task, the median change and the collapsed share over its images (``gaps``'
    ``retain_images``), as mean and spread over seeds; none for reports without per-image scores."""
    if not all('retain_images' in g for g in gaps_):
        return {}
    tasks = list(gaps_[0]['retain_images'])
    return OrderedDict((key, {t: spread_of(g['retain_images'][t][field] for g in gaps_) for t in tasks})
                       for key, field in (('retain_median', 'median'), ('retain_collapsed_share', 'collapsed_share')))


def seed_statistics(report, runs_of):
    """Per method ({method: [report labels, one per seed]}): each test number's mean and spread
    over its seeds, and on how many seeds each target was met."""
    stats = OrderedDict()
    for method, labels in runs_of.items():
        gaps_ = [report['gaps'][label] for label in labels]
        checks = [report['checks'][label] for label in labels]
        costs = [report.get('cost', {}).get(label, {}).get('time_fraction') for label in labels]
        stats[method] = OrderedDict(
            runs=labels, lr=report['cost'][labels[0]].get('lr'),
            psnr={t: spread_of(report['models'][label]['tasks'][t]['psnr'] for label in labels)
                  for t in report['tasks']},
            avg_gap=spread_of(g['avg_gap'] for g in gaps_),
            forget_gap={t: spread_of(g['forget_gap'][t] for g in gaps_) for t in gaps_[0]['forget_gap']},
            retain_change={t: spread_of(g['retain_change'][t] for g in gaps_) for t in gaps_[0]['retain_change']},
            worst_retain_change=spread_of(min(g['retain_change'].values()) for g in gaps_),
            **per_image_spreads(gaps_),
            mia_gap=spread_of(g['mia_gap'] for g in gaps_),
            time_fraction=None if None in costs else spread_of(costs),
            targets_met=OrderedDict((key, sum(all(c['met'] for c in run if c['target_key'] == key) for run in checks))
                                    for key in TARGETS if any(c['target_key'] == key for c in checks[0])))
    return stats


def compare_to(stats, reference='ours'):
    """Each other method against ``reference`` on the headline numbers: the difference of the
    means, and whether it is larger than the larger of the two spreads over seeds."""
    rows = []
    for method in stats:
        if method == reference or reference not in stats:
            continue
        for metric in ('avg_gap', 'worst_retain_change', 'mia_gap'):
            a, b = stats[reference][metric], stats[method][metric]
            difference = a['mean'] - b['mean']
            spread = max(a['spread'], b['spread'])
            rows.append(OrderedDict(method=method, metric=metric, difference=difference, spread=spread,
                                    beyond_spread=abs(difference) > spread))
    return rows


def run_benchmark(task, data_root=MINI_ROOT, out='benchmark_runs', method_names=None, lrs=None, steps=None,
                  update_results=None, seeds=None, zoo=None):
    """The comparison of all methods for one forgotten task; returns the test report.

    ``lrs`` replaces every method's learning-rate sweep (to check where a sweep should
    sit); ``steps`` the option file's step budget (the same for every method). With
    ``seeds``, every (method, lr) runs once per seed, the lr with the lowest *mean* val
    Avg. Gap is kept, and all its seeds are tested: the summary then holds each number's
    mean and spread over the seeds and which differences to ours exceed the spread. ``zoo``
    unlearns another architecture's zoo of the benchmark (``Runner``); a call with the same
    ``out`` keeps the runs an earlier, interrupted call finished.
    Writes report.json/md/png and ``summary.json`` (what ``benchmarks/results/`` keeps).
    """
    catalogue = methods()
    method_names = method_names or list(catalogue)
    unknown = [m for m in method_names if m not in catalogue]
    if unknown:
        raise UserError(f'--methods: {unknown} not in basicsr_unlearn/runs/methods.yml ({list(catalogue)}).')
    started = time.perf_counter()
    out = osp.join(out, f'forget_{task}' if zoo is None else f'{zoo}_forget_{task}')
    runner = Runner(task, data_root, out, steps, zoo)
    chosen = OrderedDict()
    for method in method_names:
        grid = lrs or catalogue[method]['lrs']
        print(f'{method}: learning rates {grid}' + (f', seeds {list(seeds)}' if seeds else ''), flush=True)
        by_lr = OrderedDict()
        for lr in grid:
            by_lr[lr] = []
            for seed in seeds or [None]:
                by_lr[lr].append(runner.run(run_label(method, lr, seed), method, lr,
                                            None if seed is None else {'manual_seed': int(seed)}))
                runner.save_rows('val_sweep.json')  # what a stopped call finished is kept
        chosen[method] = by_lr[min(by_lr, key=lambda lr: fmean(c[0]['val_avg_gap'] for c in by_lr[lr]))]
    networks = OrderedDict(runner.reference)
    weights = OrderedDict(runner.reference_weights)
    costs, runs_of = OrderedDict(), OrderedDict()
    for method, candidates in chosen.items():
        runs_of[method] = []
        for row, net, run in candidates:
            label = method if not seeds else f"{method} s{row['seed']}"
            runs_of[method].append(label)
            networks[label] = net
            costs[label] = dict(cost_entry(run, task, runner.zoo), lr=row['lr'])
            weights[label] = run['weights']
    title = 'all methods, same budget, lr chosen on val' + (f', seeds {list(seeds)}' if seeds else '')
    testing = time.perf_counter()
    report, _ = report_models(networks, task, data_root, TASKS, out, title=title, costs=costs, weights=weights)
    test_evaluation_s = time.perf_counter() - testing
    command = f'basicsr-unlearn benchmark --task {task}'
    if runner.benchmark != DEFAULT_BENCHMARK:
        command += f' --data {BENCHMARK_ROOTS[runner.benchmark]}'
    if runner.zoo != runner.benchmark:
        command += f' --zoo {runner.zoo}'
    if method_names != list(catalogue):
        command += f' --methods {" ".join(method_names)}'
    if lrs:
        command += f' --lrs {" ".join(f"{lr:g}" for lr in lrs)}'
    if steps:
        command += f' --steps {steps}'
    if seeds:
        command += f' --seeds {" ".join(map(str, seeds))}'
    summary = summary_of(report, command=command)
    summary['benchmark'] = runner.benchmark
    summary['zoo'] = runner.zoo
    # every run of every sweep on val, for the trade-off curves (tools/plot_tradeoff.py)
    summary['val_sweep'] = [OrderedDict((k, v) for k, v in row.items() if k not in ('weights', 'option_sha256'))
                            for row in runner.rows]
    summary['chosen_lr'] = OrderedDict((method, candidates[0][0]['lr']) for method, candidates in chosen.items())
    summary['machine'] = machine()
    # where the call's time went (a call that kept earlier runs counts only what it did itself)
    summary['wall_s'] = OrderedDict(call=round(time.perf_counter() - started, 1),
                                    test_evaluation=round(test_evaluation_s, 1))
    if seeds:
        summary['seeds'] = [int(s) for s in seeds]
        summary['methods'] = seed_statistics(report, runs_of)
        summary['compared_to_ours'] = compare_to(summary['methods'])
    write_json_atomic(summary, osp.join(out, 'summary.json'))
    if update_results and osp.isfile(update_results):
        merge_into_results(summary, update_results)
    elif update_results:  # a first comparison on this zoo and task
        write_json_atomic(summary, update_results)
    return report
