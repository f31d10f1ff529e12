"""``forget``: from a trained checkpoint and its data to a zoo entry, no retrained model needed.

The model-zoo publisher's path in one command. It writes a complete BasicSR option file
first (``python -m basicsr_unlearn.train -opt <file>`` or BasicSR's ``train.py`` re-runs it
by hand), unlearns through BasicSR's loop, evaluates the result (the reference-free verdict;
the gold standard too when ``retrained`` is given) and exports the entry with its card.
Running the same command again after an interruption continues the run (BasicSR's
``--auto_resume``) instead of starting over.
"""
import os
from collections import OrderedDict
from os import path as osp

from ..evaluation.networks import load_network
from ..evaluation.reporting import report_models
from ..evaluation.restoration_metrics import paired_sources
from ..export.export_entry import export_entry
from ..tasks import TASKS, task_split
from ..utils import ExistingFileError, MissingFileError, UserError
from ..zoo import zoo_network_opt
from .compose import compose_option
from .launch import run_training

UNLEARNED = 'unlearned'


def check_disjoint(data_root, forget_tasks, retain_tasks, split='train'):
    """Refuse forget and retain sets that hold the same clean image: the retain descent would
    teach back what the ascent removes. Compared by content (sha256 of the gt files)."""
    def hashes(tasks):
        found = {}
        for task, source in paired_sources(data_root, tasks, split).items():
            for digest, (_, gt_key) in zip(source.image_hashes('gt'), source.pairs):
                found.setdefault(digest, f'{task}: {gt_key}')
        return found

    forget, retain = hashes(forget_tasks), hashes(retain_tasks)
    shared = sorted(set(forget) & set(retain))
    if shared:
        raise UserError(f'the forget and retain sets share {len(shared)} image(s), e.g. {forget[shared[0]]} is '
                        f'{retain[shared[0]]}; remove them from one side.')


def forget_dataset(weights, task, data_root, out, network_opt=None, method='ours', lr=None, steps=None, nproc=1,
                   retrained=None, work=None, force=False):
    """Unlearn ``task`` from ``weights`` on the benchmark-layout ``data_root`` and export the entry
    ``out``. Returns (card, report)."""
    if osp.exists(out):  # before minutes of training, not after
        raise ExistingFileError(f'{out} exists; not overwriting it (choose another --out).')
    if not osp.isfile(weights):
        raise MissingFileError(f'--weights: {weights} not found.')
    network_opt = dict(network_opt or zoo_network_opt())
    load_network(weights, network_opt)  # the architecture must fit the weights exactly, or we stop here
    forget_tasks, retain_tasks = task_split(TASKS, task)
    check_disjoint(data_root, forget_tasks, retain_tasks)
    name = osp.basename(osp.normpath(out))
    work = work or osp.join('forget_runs', name)
    opt = compose_option(task, method, lr, data_root, name=f'forget_{task}_{name}', original=weights,
                         total_iter=steps)
    opt['network_g'] = network_opt
    print(f'Unlearning {task} from {weights} with {opt["model_type"]} ({opt["train"]["total_iter"]} steps, BasicSR '
          f'train loop); option file: {osp.join(work, opt["name"] + ".yml")}')
    run = run_training(opt, work, nproc=nproc, extra_args=['--auto_resume'])
    paths = OrderedDict(original=osp.abspath(weights))
    if retrained:
        paths['retrained'] = osp.abspath(retrained)
    paths[UNLEARNED] = run['weights']
    networks = OrderedDict((label, load_network(path, network_opt)[0]) for label, path in paths.items())
    print('Evaluating on the test split' + (' (with the retrained model)...' if retrained else
                                            ' (no retrained model: the reference-free verdict)...'))
    cost = {UNLEARNED: OrderedDict(wall_time_s=round(run['wall_time_s'], 1), steps=run['steps'], time_fraction=None)}
    report, _ = report_models(networks, task, data_root, TASKS, osp.join(work, 'report'), title=f'forget {task}',
                              costs=cost, weights=paths)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    card = export_entry(run['option'], osp.join(work, 'report', 'report.json'), out, label=UNLEARNED, force=force)
    return card, report
