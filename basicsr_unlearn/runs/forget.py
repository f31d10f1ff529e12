"""``forget``: from a trained checkpoint and its data to a zoo entry, no retrained model needed.

The model-zoo publisher's path in one command. It writes a complete BasicSR option file
first (``python -m basicsr_unlearn.train -opt <file>`` or BasicSR's ``train.py`` re-runs it
by hand), unlearns through BasicSR's loop, evaluates the result (the reference-free verdict;
the gold standard too when ``retrained`` is given) and exports the entry with its card.
Running the same command again after an interruption continues the run (BasicSR's
``--auto_resume``) instead of starting over.
"""
import fcntl
import json
import os
from collections import OrderedDict
from os import path as osp

from basicsr.utils.registry import MODEL_REGISTRY

from ..data.forget_retain_paired_dataset import side_blocks
from ..evaluation.acceptance import TARGETS
from ..evaluation.networks import architecture_source, network_from_weights
from ..evaluation.reference_free import ABOVE_INPUT_DB, BELOW_INPUT_DB
from ..evaluation.reporting import report_models
from ..export.export_entry import entry_name, export_entry
from ..export.model_card import CARD_YML, read_card
from ..export.publisher_signature import check_can_sign
from ..export.verify_entry import verify_entry
from ..models.unlearning_base import STOP_RECORD
from ..tasks import TASKS
from ..utils import ExistingFileError, MissingFileError, UserError
from ..utils.files import check_new_folder, check_writable_destination, write_json_atomic
from ..utils.hashing import set_fingerprint, sha256_bytes, sha256_file
from ..utils.options import load_option_file
from ..zoo import zoo_network_opt
from .compose import compose_option
from .launch import run_training
from .preflight import format_preflight, preflight, side_hashes

UNLEARNED = 'unlearned'


def run_identity(opt, weights, gt_hashes=None, out=None):
    """What makes a run this command's own: the starting weights and the training images by
    content, the complete option dict (method, recipe, rate, budget, network, data paths) and the
    entry it is for (``out``: another entry is another run, so no two cards claim one run's cost).
    A run folder continues only under the same identity (``claim_work_folder``). ``gt_hashes``:
    the preflight's, which the clean images need not be read again for."""
    train = opt['datasets']['train']

    def hashes(side, key):
        return gt_hashes[side] if key == 'gt' and gt_hashes else side_hashes(train, side, key)
    images = [set_fingerprint(hashes(side, key)) for side in ('forget', 'retain') for key in ('gt', 'lq')]
    identity = OrderedDict(weights_sha256=sha256_file(weights), data_sha256=set_fingerprint(images),
                           option_sha256=sha256_bytes(json.dumps(opt, sort_keys=True, default=str).encode()))
    if out is not None:
        identity['entry'] = osp.abspath(out)
    return identity


RUN_FILE = 'forget_run.json'
IDENTITY_PARTS = dict(weights_sha256='starting weights', data_sha256='training images', option_sha256='options',
                      entry='--out entry')


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
            named = ' and '.join([', '.join(differs[:-1]), differs[-1]] if len(differs) > 1 else differs)
            raise ExistingFileError(f'--work {work} holds another forget run (its {named} differ from '
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


#: the retained-task tolerances the stop rule takes from the verdicts (``acceptance.TARGETS``)
RETAIN_KEYS = ('retain_drop_db', 'retain_median_db', 'retain_collapse_db', 'retain_collapsed_share')
#: without --steps: the stop rule checks every quarter of the recipe's steps, up to this many times them
STOP_CAP_FACTOR = 5


def add_stop_rule(opt):
    """Stop when the val sets say the task is forgotten and the others kept, in the mean and image by
    image (``models/stop_rule.py``), with the reference-free verdict's tolerances; the recipe's step
    count only sets the pace of the checks and the cap."""
    steps = int(opt['train']['total_iter'])
    opt['train']['stop_rule'] = dict(above_input_db=ABOVE_INPUT_DB, below_input_db=BELOW_INPUT_DB,
                                     **{key: TARGETS[key] for key in RETAIN_KEYS})
    check_every = max(1, steps // 4)
    psnr = dict(type='calculate_psnr', crop_border=0, test_y_channel=False)
    opt['val'] = dict(val_freq=check_every, save_img=False, metrics=dict(psnr=psnr))  # what the rule reads, alone
    opt['train']['total_iter'] = STOP_CAP_FACTOR * steps
    opt['logger']['save_checkpoint_freq'] = check_every
    return opt


def forget_option(weights, task, data_root, name, network_opt, method='ours', lr=None, steps=None, recipe=None):
    """The complete BasicSR option dict of unlearning ``task`` from ``weights``: the shipped recipe of
    ``method``, or the user's ``recipe`` file, with ``lr`` on top; ``steps`` fixes the step count,
    else the stop rule decides it (``add_stop_rule``)."""
    opt = compose_option(task, method, None, data_root, name=name, original=weights, keep_val=steps is None)
    if recipe:
        apply_recipe(opt, recipe)
    if lr is not None:
        opt['train']['optim_g']['lr'] = float(lr)
    if steps is not None:
        opt['train']['total_iter'] = opt['logger']['save_checkpoint_freq'] = int(steps)
    else:
        add_stop_rule(opt)
    opt['network_g'] = network_opt
    return opt


def stop_record(run):
    """What the stop rule decided in a finished run (``run_training``'s result; ``models/unlearning_base.py``),
    or None."""
    path = osp.join(run['experiment'], STOP_RECORD)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def steps_taken(record, run):
    """The updates a run made: where the stop rule stopped it, else all of ``total_iter``."""
    return (record or {}).get('stopped_at') or run['steps']


def describe_stop(record):
    """The stop rule's outcome in one line, with what the last check missed when it was never met."""
    if record['stopped_at'] is not None:
        return f"Stop rule met on val at step {record['stopped_at']}: updates stopped there."
    last = record['checks'][-1] if record['checks'] else {'val': {}}
    missed = '; '.join(f"{name} {row['psnr']:.2f} dB (bound: {row['bound']})" for name, row in last['val'].items()
                       if not row['met'])
    return (f"Stop rule not met within the cap of {record['cap']} steps; the last check missed: {missed}. The recipe "
            'does not reach the target on this model; the verdict below says what that costs.')


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


def entry_start(folder, data_root, public_key=None):
    """(weights file, network_g) of a zoo entry given as the starting point: a second request starts
    from the first one's result, and its card's lineage then names the first (``export``). The entry
    is verified first (``verify``, with its publisher signature when ``public_key`` is given): a
    tampered entry would hand its claims on to the new card's lineage."""
    card = read_card(folder)
    card_data = card.get('evidence', {}).get('data_root')
    ok, lines = verify_entry(folder, None if isinstance(card_data, str) and osp.isdir(card_data) else data_root,
                             public_key=public_key)
    if not ok:
        failed = [line[len('FAIL '):].rstrip('.') for line in lines if line.startswith('FAIL')]
        raise UserError(f'--weights {folder}: the entry fails verify ({"; ".join(failed)}); start from an entry '
                        f'that passes `basicsr-unlearn verify {folder}`.')
    return osp.join(folder, card['weights']['file']), dict(card['architecture'])


def check_retrained(retrained, network_opt, source):
    """The retrained model's file (a path or ``zoo:<name>``), loaded once before the training so that a
    wrong spec fails in seconds, not after it."""
    return osp.abspath(network_from_weights(retrained, network_opt, source=source)[1])


class WorkFolderLock:
    """Holds ``<work>/forget.lock`` (``fcntl.flock``) while a command trains and exports there: a
    second identical command started meanwhile is refused instead of training in the same folder."""

    def __init__(self, work):
        self.path = osp.join(work, 'forget.lock')

    def __enter__(self):
        self.file = open(self.path, 'a+')
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.close()
            raise ExistingFileError(f'--work {osp.dirname(self.path)}: another forget command is running there; '
                                    'wait for it to end (the same command then continues or finds it done).')
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def forget_dataset(weights, task, data_root, out, network_opt=None, method='ours', lr=None, steps=None, nproc=1,
                   retrained=None, work=None, force=False, recipe=None, source=None, dry_run=False, sign_key=None,
                   public_key=None):
    """Unlearn ``task`` from ``weights`` on the benchmark-layout ``data_root`` and export the entry
    ``out`` (signed with the publisher's ``sign_key`` when given); ``source`` says where ``network_opt``
    came from (``architecture_source``); ``public_key`` checks a starting entry's publisher signature.
    Returns (card, report); with ``dry_run``, the preflight's printout instead, having trained nothing."""
    name = entry_name(out)  # everything about --out before minutes of training and evaluation, not after
    check_new_folder(out, '--out')
    if sign_key is not None:
        check_can_sign(sign_key)
    starts_from_entry = osp.isdir(weights) and osp.isfile(osp.join(weights, CARD_YML))
    if public_key is not None and not starts_from_entry:
        raise UserError(f"--public-key checks a starting entry's signature, but --weights {weights} is no entry "
                        'folder.')
    if starts_from_entry:
        folder = weights
        weights, entry_network = entry_start(folder, data_root, public_key)
        if network_opt is None:
            network_opt, source = entry_network, f'architecture of the entry {folder} ({CARD_YML})'
    if not osp.isfile(weights):
        raise MissingFileError(f'--weights: {weights} not found.')
    if network_opt is None:
        network_opt, source = zoo_network_opt(), architecture_source()
    network_opt = dict(network_opt)
    opt = forget_option(weights, task, data_root, f'forget_{task}_{name}', network_opt, method, lr, steps, recipe)
    found = preflight(opt, weights, network_opt, source, measure=dry_run, data_root=data_root, tasks=TASKS)
    if retrained:
        retrained = check_retrained(retrained, network_opt, f'--retrained {retrained}')
    if dry_run:
        return format_preflight(found, opt)
    identity = run_identity(opt, weights, found['gt_hashes'], out)
    run_id = sha256_bytes(json.dumps(identity).encode())[:12]
    work = work or osp.join('forget_runs', f'{name}-{run_id}')  # another command's run never shares it
    check_writable_destination(work, '--work')
    claim_work_folder(work, identity)
    with WorkFolderLock(work):
        return unlearn_and_export(opt, weights, task, data_root, out, network_opt, nproc, retrained, work, force,
                                  sign_key)


def unlearn_and_export(opt, weights, task, data_root, out, network_opt, nproc, retrained, work, force, sign_key):
    """``forget_dataset``'s work in its claimed, locked folder ``work``: train, evaluate, export."""
    budget = (f'{opt["train"]["total_iter"]} steps' if 'stop_rule' not in opt['train'] else
              f'until the stop rule is met on val, checked every {opt["val"]["val_freq"]} steps, at most '
              f'{opt["train"]["total_iter"]}')
    print(f'Unlearning {task} from {weights} with {opt["model_type"]} ({budget}, BasicSR train loop); option file: '
          f'{osp.join(work, opt["name"] + ".yml")}')
    run = run_training(opt, work, nproc=nproc, extra_args=['--auto_resume'])
    record = stop_record(run)
    if record is not None:
        print(describe_stop(record))
    paths = OrderedDict(original=osp.abspath(weights))
    if retrained:
        paths['retrained'] = retrained
    paths[UNLEARNED] = run['weights']
    networks = OrderedDict((label, network_from_weights(path, network_opt)[0]) for label, path in paths.items())
    print('Evaluating on the test split' + (' (with the retrained model)...' if retrained else
                                            ' (no retrained model: the reference-free verdict)...'))
    seconds, sessions = training_time(work, opt['name'], run['wall_time_s'])
    cost = {UNLEARNED: OrderedDict(wall_time_s=seconds, sessions=sessions, steps=steps_taken(record, run),
                                   time_fraction=None)}
    report, _ = report_models(networks, task, data_root, TASKS, osp.join(work, 'report'), title=f'forget {task}',
                              costs=cost, weights=paths)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    card = export_entry(run['option'], osp.join(work, 'report', 'report.json'), out, label=UNLEARNED, force=force,
                        sign_key=sign_key)
    return card, report
