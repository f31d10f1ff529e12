"""The main job: unlearn one degradation from the shipped tiny model and prove it.

``basicsr-unlearn demo`` builds the mini benchmark if needed (or takes the real mini
protocol that ``--data`` names, recognised by its ``benchmark.json``), unlearns rain from
that benchmark's shipped all-in-one PromptIR with AdversarialRetainModel through BasicSR's
train loop, evaluates it against the shipped model retrained without rain (and the
original), prints the table and the verdict and writes the report (json, md, png).
"""
import time
from collections import OrderedDict
from os import path as osp

from ..evaluation.networks import network_from_weights
from ..evaluation.reporting import report_models
from ..prepare.benchmark_root import open_benchmark
from ..tasks import MINI_ROOT, TASKS
from ..zoo import ORIGINAL, zoo_network_opt
from .compose import compose_option
from .launch import run_training
from .references import cost_entry, reference_models


def run_demo(task='rain', method='ours', data_root=MINI_ROOT, out='demo_runs', lr=None, steps=None):
    start = time.time()
    benchmark = open_benchmark(data_root, quiet=False)['name']
    opt = compose_option(task, method, lr, data_root, name=f'demo_unlearn_{task}_{method}', total_iter=steps,
                         benchmark=benchmark)
    print(f'Unlearning {task} with {opt["model_type"]} ({opt["train"]["total_iter"]} steps, BasicSR train loop)...')
    run = run_training(opt, osp.join(out, 'work'))
    label = f'unlearned ({method})'
    weights = reference_models(task, benchmark)
    weights[label] = run['weights']
    network_opt = zoo_network_opt(ORIGINAL, benchmark)
    networks = OrderedDict((name, network_from_weights(path, network_opt)[0]) for name, path in weights.items())
    print('Evaluating original, retrained and unlearned models on the test split...')
    report, path = report_models(networks, task, data_root, TASKS, osp.join(out, f'unlearn_{task}_{method}'),
                                 title=f'demo, {method}, {benchmark}', costs={label: cost_entry(run, task, benchmark)},
                                 weights=weights)
    print(f'\nReport: {path} (+ report.json, report.png); unlearned weights: {run["weights"]}')
    print(f'Demo wall time: {time.time() - start:.0f} s')
    return report, run
