"""Delete some training images of a task, keep the task: run, judge against the retrained model.

``basicsr-unlearn demo --delete rain20`` unlearns the images of a deletion request
(``tasks.DELETIONS``, ``options/unlearn/PromptIR/delete_<request>_promptir_tiny.yml``) from the benchmark's shipped
all-in-one model through BasicSR's train loop, then prints and writes the deleted /
retained / unseen table and the checks for the original, the shipped model retrained
without those images, and the unlearned model (``evaluation/deletion_report.py``).
"""
import time
from collections import OrderedDict
from os import path as osp

from ..evaluation.acceptance import format_checks
from ..evaluation.deletion_report import build_deletion_report, deletion_gaps, evaluate_deletion, format_deletion_table
from ..evaluation.networks import network_from_weights
from ..evaluation.report_writer import check_report_folder
from ..prepare.benchmark_root import open_benchmark
from ..tasks import DELETIONS, MINI_ROOT
from ..utils import UserError
from ..utils.files import write_json_atomic
from ..zoo import ORIGINAL, zoo_network_opt
from .compose import compose_option
from .launch import run_training
from .references import cost_entry, reference_models


def deletion_request(request):
    if request not in DELETIONS:
        raise UserError(f'--delete: expected one of {list(DELETIONS)} (basicsr_unlearn/tasks.py), got {request!r}.')
    return DELETIONS[request]


def unlearn_deletion(request, method, data_root, work, lr=None, steps=None, seed=None, benchmark=None,
                     overrides=None, name=None):
    """One unlearning run deleting ``request``'s images (``seed``: its manual_seed, else the
    option file's; ``overrides``: dotted option keys, as ``compose_option`` takes them);
    returns ``run_training``'s dict."""
    task, names = deletion_request(request)
    overrides = dict(overrides or {}, **({} if seed is None else {'manual_seed': int(seed)}))
    suffix = '' if seed is None else f'_seed{seed}'
    benchmark = benchmark or open_benchmark(data_root)['name']
    opt = compose_option(request, method, lr, data_root, name=name or f'delete_{request}_{method}{suffix}',
                         total_iter=steps, overrides=overrides, benchmark=benchmark)
    print(f'Deleting {len(names)} {task} training images ({request}) with {method} ({opt["model_type"]}, '
          f'lr {opt["train"]["optim_g"]["lr"]:g}, {opt["train"]["total_iter"]} steps, BasicSR train loop); {task} '
          'itself stays...', flush=True)
    return dict(run_training(opt, work), lr=opt['train']['optim_g']['lr'], seed=opt['manual_seed'])


def judge_deletion(weights, request, data_root, benchmark, costs=None, title=''):
    """The deletion report of ``weights`` ({label: path}: original, retrained, unlearned ones)."""
    task, names = deletion_request(request)
    network_opt = zoo_network_opt(ORIGINAL, benchmark)
    networks = OrderedDict((label, network_from_weights(path, network_opt)[0]) for label, path in weights.items())
    print('Evaluating on deleted, retained and unseen images...', flush=True)
    return build_deletion_report(networks, data_root, request, task, names, title=title, costs=costs, weights=weights)


class DeletionScorer:
    """Scores deletion runs on the val split: ``deletion_gaps`` against the retrained model
    (evaluated once), the number a deletion's settings are chosen by."""

    def __init__(self, request, data_root, benchmark):
        self.task, self.names = deletion_request(request)
        self.data_root, self.network_opt = data_root, zoo_network_opt(ORIGINAL, benchmark)
        self.reference = self.evaluate(reference_models(request, benchmark))
        self.untouched = deletion_gaps(self.reference)['original']  # the bar: not unlearning at all

    def evaluate(self, weights):
        networks = OrderedDict((label, network_from_weights(path, self.network_opt)[0])
                               for label, path in weights.items())
        return evaluate_deletion(networks, self.data_root, self.task, self.names, unseen_split='val')

    def score(self, weights):
        """``deletion_gaps`` on val of the model at ``weights``."""
        return deletion_gaps(OrderedDict(self.reference, **self.evaluate({'candidate': weights})))['candidate']


def print_deletion(report):
    print(format_deletion_table(report))
    for name, checks in report['checks'].items():
        print(f'\nTargets for {name}: deleted images like the retrained model restores them, every task like the '
              f'original, deleted images like unseen ones to the attack\n{format_checks(checks)}')


def run_deletion(request='rain20', method='ours', data_root=MINI_ROOT, out='demo_runs', lr=None, steps=None):
    """``demo --delete``: unlearn the images of ``request`` with ``method`` and judge the
    result against the original and the shipped retrained model; returns the report."""
    start = time.time()
    benchmark = open_benchmark(data_root, quiet=False)['name']
    report_dir = osp.join(out, f'delete_{request}_{method}')
    check_report_folder(report_dir)  # before the run, not after
    weights = reference_models(request, benchmark)  # this benchmark's zoo must hold the retrained model
    run = unlearn_deletion(request, method, data_root, osp.join(out, 'work'), lr, steps, benchmark=benchmark)
    label = f'unlearned ({method})'
    weights[label] = run['weights']
    report = judge_deletion(weights, request, data_root, benchmark, {label: cost_entry(run, request, benchmark)},
                            title=f'delete {request}, {method}, {benchmark}')
    write_json_atomic(report, osp.join(report_dir, 'report.json'))
    print_deletion(report)
    print(f'\nReport: {osp.join(report_dir, "report.json")}; unlearned weights: {run["weights"]}')
    print(f'Deletion demo wall time: {time.time() - start:.0f} s')
    return report
