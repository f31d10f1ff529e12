"""``forget``: from a trained checkpoint and its data to a zoo entry, no retrained model needed.

The model-zoo publisher's path in one command. It writes a complete BasicSR option file
first (``python -m basicsr_unlearn.train -opt <file>`` or BasicSR's ``train.py`` re-runs it
by hand), unlearns through BasicSR's loop, evaluates the result (the reference-free verdict;
the gold standard too when ``retrained`` is given) and exports the entry with its card.
Running the same command again after an interruption continues the run (BasicSR's
``--auto_resume``) instead of starting over.
"""
import json
import os
from collections import OrderedDict
from os import path as osp

from basicsr.utils.registry import MODEL_REGISTRY

from ..compat.option_yaml import load_option_file
from ..data.forget_retain_paired_dataset import side_blocks, side_sources
from ..evaluation.networks import load_network
from ..evaluation.reporting import report_models
from ..export.export_entry import export_entry
from ..tasks import TASKS
from ..utils import ExistingFileError, MissingFileError, UserError
from ..utils.files import write_json_atomic
from ..zoo import zoo_network_opt
from .compose import compose_option
from .launch import run_training

UNLEARNED = 'unlearned'


def check_disjoint(train_opt):
    """Refuse forget and retain sides (of a ForgetRetainPairedDataset block) that hold the same
    clean image: the retain descent would teach back what the ascent removes. Compared by content
    (sha256 of the gt files), so copies under other names or folders are found too."""
    def hashes(side):
        found = {}
        for source in side_sources(train_opt, side):
            for digest, (_, gt_key) in zip(source.image_hashes('gt'), source.pairs):
                found.setdefault(digest, f'{source.tag}: {gt_key}')
        return found

    forget, retain = hashes('forget'), hashes('retain')
    shared = sorted(set(forget) & set(retain))
    if shared:
        raise UserError(f'the forget and retain sets share {len(shared)} image(s), e.g. {forget[shared[0]]} is '
                        f'{retain[shared[0]]}; remove them from one side.')


#: keys of a paired source that name files: made absolute, since training runs in its work folder
PATH_KEYS = ('dataroot_gt', 'dataroot_lq', 'meta_info_file', 'names', 'exclude')


def absolute_source_paths(train_opt):
    for side in ('forget', 'retain', 'reference'):
        for block in side_blocks(train_opt, side):
            for key in PATH_KEYS:
                if isinstance(block.get(key), str):
                    block[key] = osp.abspath(osp.expanduser(block[key]))
    return train_opt


def apply_recipe(opt, recipe):
    """``opt`` with ``model_type`` and the ``train`` block (losses, optimizer, budget) of the user's
    option file ``recipe``, and its ``datasets.train`` (its own forget / retain sources: folders,
    meta_info, LMDB) when it has one; network and paths stay ``opt``'s."""
    user = load_option_file(recipe)
    for key in ('model_type', 'train'):
        if not user.get(key):
            raise UserError(f'--recipe {recipe}: `{key}` is missing; a recipe gives model_type and train (pixel_opt, '
                            'forget_opt, optim_g, total_iter, ...).')
    if user['model_type'] not in MODEL_REGISTRY:
        raise UserError(f'--recipe {recipe}: model_type {user["model_type"]!r} is not a registered BasicSR model.')
    opt['model_type'], opt['train'] = user['model_type'], user['train']
    train_data = (user.get('datasets') or {}).get('train')
    if train_data is not None:
        if train_data.get('type') != 'ForgetRetainPairedDataset' or not train_data.get('forget') \
                or not train_data.get('retain'):
            raise UserError(f'--recipe {recipe}: datasets.train must be a ForgetRetainPairedDataset with forget and '
                            'retain sources (or leave datasets out to use --data).')
        opt['datasets']['train'] = absolute_source_paths(train_data)
    return opt


def forget_option(weights, task, data_root, name, network_opt, method='ours', lr=None, steps=None, recipe=None):
    """The complete BasicSR option dict of unlearning ``task`` from ``weights``: the shipped recipe of
    ``method``, or the user's ``recipe`` file, with ``lr``/``steps`` on top."""
    opt = compose_option(task, method, None, data_root, name=name, original=weights)
    if recipe:
        apply_recipe(opt, recipe)
    if lr is not None:
        opt['train']['optim_g']['lr'] = float(lr)
    if steps is not None:
        opt['train']['total_iter'] = opt['logger']['save_checkpoint_freq'] = int(steps)
    opt['network_g'] = network_opt
    return opt


def training_time(work, name, session_s):
    """(seconds, sessions) this run has trained over every session of the command: a resumed
    session times only its own part, so each one's time is kept in ``<work>/<name>.sessions.json``
    and summed (a session killed before it ended is not counted)."""
    path = osp.join(work, f'{name}.sessions.json')
    sessions = []
    if osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            sessions = json.load(f)
    sessions.append(round(session_s, 1))
    write_json_atomic(sessions, path)
    return round(sum(sessions), 1), len(sessions)


def forget_dataset(weights, task, data_root, out, network_opt=None, method='ours', lr=None, steps=None, nproc=1,
                   retrained=None, work=None, force=False, recipe=None):
    """Unlearn ``task`` from ``weights`` on the benchmark-layout ``data_root`` and export the entry
    ``out``. Returns (card, report)."""
    if osp.exists(out):  # before minutes of training, not after
        raise ExistingFileError(f'{out} exists; not overwriting it (choose another --out).')
    if not osp.isfile(weights):
        raise MissingFileError(f'--weights: {weights} not found.')
    network_opt = dict(network_opt or zoo_network_opt())
    load_network(weights, network_opt)  # the architecture must fit the weights exactly, or we stop here
    name = osp.basename(osp.normpath(out))
    work = work or osp.join('forget_runs', name)
    opt = forget_option(weights, task, data_root, f'forget_{task}_{name}', network_opt, method, lr, steps, recipe)
    check_disjoint(opt['datasets']['train'])
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
    seconds, sessions = training_time(work, opt['name'], run['wall_time_s'])
    cost = {UNLEARNED: OrderedDict(wall_time_s=seconds, sessions=sessions, steps=run['steps'], time_fraction=None)}
    report, _ = report_models(networks, task, data_root, TASKS, osp.join(work, 'report'), title=f'forget {task}',
                              costs=cost, weights=paths)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    card = export_entry(run['option'], osp.join(work, 'report', 'report.json'), out, label=UNLEARNED, force=force)
    return card, report
