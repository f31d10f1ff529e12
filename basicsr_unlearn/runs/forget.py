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

from ..data.forget_retain_paired_dataset import side_blocks
from ..evaluation.networks import architecture_source, network_from_weights
from ..evaluation.reporting import report_models
from ..export.export_entry import export_entry
from ..tasks import TASKS
from ..utils import ExistingFileError, MissingFileError, UserError
from ..utils.files import check_new_folder, check_writable_destination, write_json_atomic
from ..utils.hashing import set_fingerprint, sha256_bytes, sha256_file
from ..utils.option_yaml import load_option_file
from ..zoo import zoo_network_opt
from .compose import compose_option
from .launch import run_training
from .preflight import format_preflight, preflight, side_hashes

UNLEARNED = 'unlearned'


def run_identity(opt, weights):
    """What makes a run this command's own: the starting weights and the training images by
    content, and the complete option dict (method, recipe, rate, budget, network, data paths).
    A run folder continues only under the same identity (``claim_work_folder``)."""
    train = opt['datasets']['train']
    images = [set_fingerprint(side_hashes(train, side, key)) for side in ('forget', 'retain') for key in ('gt', 'lq')]
    return OrderedDict(weights_sha256=sha256_file(weights), data_sha256=set_fingerprint(images),
                       option_sha256=sha256_bytes(json.dumps(opt, sort_keys=True, default=str).encode()))


RUN_FILE = 'forget_run.json'
IDENTITY_PARTS = dict(weights_sha256='starting weights', data_sha256='training images', option_sha256='options')


def claim_work_folder(work, identity):
    """Make ``work`` this run's folder, or refuse: a folder holding another run (other weights,
    data or options) or anything not made by ``forget`` is never resumed from nor written into,
    so no entry can carry another run's weights."""
    record = osp.join(work, RUN_FILE)
    if osp.isfile(record):
        with open(record, encoding='utf-8') as f:
            found = json.load(f)
        if found != identity:
            differs = [IDENTITY_PARTS[key] for key in identity if found.get(key) != identity[key]]
            raise ExistingFileError(f'--work {work} holds another forget run (its {" and ".join(differs)} differ from '
                                    "this command's); choose another --work, or remove that folder to start over.")
        return
    if osp.exists(work) and (not osp.isdir(work) or os.listdir(work)):
        raise ExistingFileError(f'--work {work} exists and is not a forget run folder ({RUN_FILE} missing); choose '
                                'another --work.')
    write_json_atomic(identity, record)


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
                   retrained=None, work=None, force=False, recipe=None, source=None, dry_run=False):
    """Unlearn ``task`` from ``weights`` on the benchmark-layout ``data_root`` and export the entry
    ``out``; ``source`` says where ``network_opt`` came from (``architecture_source``). Returns
    (card, report); with ``dry_run``, the preflight's printout instead, having trained nothing."""
    check_new_folder(out, '--out')  # before minutes of training and evaluation, not after
    if not osp.isfile(weights):
        raise MissingFileError(f'--weights: {weights} not found.')
    if network_opt is None:
        network_opt, source = zoo_network_opt(), architecture_source()
    network_opt = dict(network_opt)
    name = osp.basename(osp.normpath(out))
    opt = forget_option(weights, task, data_root, f'forget_{task}_{name}', network_opt, method, lr, steps, recipe)
    found = preflight(opt, weights, network_opt, source, measure=dry_run)  # seconds, not after the training
    if dry_run:
        return format_preflight(found, opt)
    identity = run_identity(opt, weights)
    run_id = sha256_bytes(json.dumps(identity).encode())[:12]
    work = work or osp.join('forget_runs', f'{name}-{run_id}')  # another command's run never shares it
    check_writable_destination(work, '--work')
    claim_work_folder(work, identity)
    print(f'Unlearning {task} from {weights} with {opt["model_type"]} ({opt["train"]["total_iter"]} steps, BasicSR '
          f'train loop); option file: {osp.join(work, opt["name"] + ".yml")}')
    run = run_training(opt, work, nproc=nproc, extra_args=['--auto_resume'])
    paths = OrderedDict(original=osp.abspath(weights))
    if retrained:
        paths['retrained'] = osp.abspath(retrained)
    paths[UNLEARNED] = run['weights']
    networks = OrderedDict((label, network_from_weights(path, network_opt)[0]) for label, path in paths.items())
    print('Evaluating on the test split' + (' (with the retrained model)...' if retrained else
                                            ' (no retrained model: the reference-free verdict)...'))
    seconds, sessions = training_time(work, opt['name'], run['wall_time_s'])
    cost = {UNLEARNED: OrderedDict(wall_time_s=seconds, sessions=sessions, steps=run['steps'], time_fraction=None)}
    report, _ = report_models(networks, task, data_root, TASKS, osp.join(work, 'report'), title=f'forget {task}',
                              costs=cost, weights=paths)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    card = export_entry(run['option'], osp.join(work, 'report', 'report.json'), out, label=UNLEARNED, force=force)
    return card, report
