"""Training that outlasts one sitting: BasicSR's loop run a chunk of iterations at a time.

Each chunk is one ``run_training`` with ``--auto_resume`` (BasicSR picks the newest state in
``experiments/<name>/training_states``) and ``train.total_iter`` set to the chunk's end; the
learning-rate schedule stays that of the whole run. A ledger next to the run,
``<name>.chunks.json``, records the recipe's hash and every finished chunk (iterations and
wall time), so that calling again with the same option continues where the last saved state
is and reports the iterations and time summed over all sittings; another option in the same
folder is refused instead of continuing a run it did not start.
"""
import glob
import json
import re
from copy import deepcopy
from os import path as osp

from ..utils import OptionError, UserError
from ..utils.files import write_json_atomic
from ..utils.hashing import sha256_bytes
from .launch import run_training

STATE = re.compile(r'(\d+)\.state$')


def option_hash(opt):
    """sha256 of the option without its run length: the same recipe, whichever chunk it is in."""
    opt = deepcopy(opt)
    opt['train'].pop('total_iter', None)
    return sha256_bytes(json.dumps(opt, sort_keys=True, default=str).encode())


def saved_iteration(work_dir, name):
    """The iteration of the newest training state BasicSR saved for run ``name`` (0: none)."""
    states = glob.glob(osp.join(work_dir, 'experiments', name, 'training_states', '*.state'))
    return max((int(STATE.search(s).group(1)) for s in states if STATE.search(s)), default=0)


def read_ledger(path, opt):
    if not osp.isfile(path):
        return dict(name=opt['name'], option_sha256=option_hash(opt), total_iter=opt['train']['total_iter'],
                    chunks=[])
    try:
        with open(path, encoding='utf-8') as f:
            ledger = json.load(f)
    except ValueError as error:
        raise UserError(f'{path}: not a readable chunk ledger ({error}); train in an empty folder, or remove the '
                        'ledger and the run it records.') from error
    if not isinstance(ledger, dict) or not isinstance(ledger.get('chunks'), list):
        raise UserError(f'{path}: not a chunk ledger (expected an object with its chunks).')
    if ledger.get('option_sha256') != option_hash(opt):
        raise UserError(f'{path} belongs to another option than this {opt["name"]!r}; continue it with its own '
                        'option, or train in an empty folder.')
    return ledger


def summed_time(ledger):
    return round(sum(c['wall_time_s'] for c in ledger['chunks']), 1)


def train_in_chunks(opt, work_dir, chunk_iters, max_chunks=None, on_chunk=None, show_progress=True):
    """Train ``opt`` to ``train.total_iter``, ``chunk_iters`` iterations per BasicSR run.

    Stops after ``max_chunks`` chunks (None: run to the end); ``on_chunk(ledger)`` is called after
    each. Returns the ledger: ``done`` iterations, ``wall_time_s`` summed over the chunks, and
    ``weights`` (``net_g_latest.pth`` of the last chunk)."""
    total = int(opt['train']['total_iter'])
    save_freq = opt.get('logger', {}).get('save_checkpoint_freq')
    if not save_freq or chunk_iters % int(save_freq):
        raise OptionError('logger.save_checkpoint_freq', f'must divide the chunk of {chunk_iters} iterations, '
                          f'so that every chunk ends on a saved state; got {save_freq}.')
    ledger_path = osp.join(work_dir, f"{opt['name']}.chunks.json")
    ledger = read_ledger(ledger_path, opt)
    done = saved_iteration(work_dir, opt['name'])
    chunks = 0
    while done < total and (max_chunks is None or chunks < max_chunks):
        end = min(done + chunk_iters, total)
        chunk_opt = deepcopy(opt)
        chunk_opt['train']['total_iter'] = end
        run = run_training(chunk_opt, work_dir, show_progress, extra_args=['--auto_resume'] if done else [])
        reached = saved_iteration(work_dir, opt['name'])
        if reached < end and end < total:
            raise RuntimeError(f"chunk {done}->{end} of {opt['name']} saved no state at {end} (log {run['log']}). "
                               "BasicSR counts its epochs with the last partial batch that its loader drops, so on "
                               "a small training set a run ends short of total_iter: raise "
                               "datasets:train:dataset_enlarge_ratio.")
        ledger['chunks'].append(dict(start=done, end=end, wall_time_s=round(run['wall_time_s'], 1)))
        ledger['weights'] = run['weights']
        done, chunks = end, chunks + 1
        ledger.update(done=done, wall_time_s=summed_time(ledger))
        write_json_atomic(ledger, ledger_path)
        if on_chunk:
            on_chunk(ledger)
    ledger.setdefault('done', done)
    ledger.setdefault('wall_time_s', summed_time(ledger))
    return ledger
