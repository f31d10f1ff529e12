"""Per-image scores of a network on a paired source, kept by content so no model is scored twice.

``benchmark``, ``sweep``, ``demo``, ``evaluate`` and ``verify`` score the same fixed models (the
shipped original and retrained ones) on the same data again and again. A result is keyed by the
network's weights (sha256 of every tensor, whatever file they came from), the data (names and
bytes of every pair), the scoring options and what can change the floats (this package's source
code, torch's version, the thread count), and kept in memory and in ``$BASICSR_UNLEARN_SCORE_CACHE`` (default
``~/.cache/basicsr_unlearn/scores``; ``off`` keeps nothing on disk). A network trained further,
or an image changed, is a new key, never a stale hit.
"""
import copy
import functools
import glob
import hashlib
import json
import math
import os
import sys
from os import path as osp

import torch

from ..utils.files import write_json_atomic
from ..utils.numbers import is_finite_number

ENV = 'BASICSR_UNLEARN_SCORE_CACHE'
_memory = {}


def cache_dir():
    folder = os.environ.get(ENV) or osp.join(osp.expanduser('~'), '.cache', 'basicsr_unlearn', 'scores')
    return None if folder == 'off' else folder


@functools.lru_cache(maxsize=None)
def source_fingerprint():
    """sha256 of every Python file of this package: a changed architecture or metric (even in a
    checkout whose version string did not move) is a new key, never a stale hit."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    digest = hashlib.sha256()
    for path in sorted(glob.glob(osp.join(package, '**', '*.py'), recursive=True)):
        digest.update(osp.relpath(path, package).encode())
        with open(path, 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()


def network_fingerprint(net):
    digest = hashlib.sha256(type(net).__name__.encode())
    for name, tensor in net.state_dict().items():
        digest.update(f'{name}:{tensor.dtype}:{tuple(tensor.shape)}'.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def score_keys(net, source, variants):
    """The keys of ``net``'s scores on ``source`` under each dict of scoring options of ``variants``."""
    parts = dict(network=network_fingerprint(net), data=source.content_fingerprint(), code=source_fingerprint(),
                 torch=str(torch.__version__), threads=torch.get_num_threads())
    return [hashlib.sha256(json.dumps(dict(parts, options=options), sort_keys=True).encode()).hexdigest()
            for options in variants]


def load_scores(key, count, with_ssim):
    """The scores kept under ``key`` for a source of ``count`` images (a copy: callers may change
    theirs), or None when there are none or the record on disk fails ``record_problem``."""
    if key in _memory:
        return copy.deepcopy(_memory[key])
    folder = cache_dir()
    path = folder and osp.join(folder, f'{key}.json')
    if not path or not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (OSError, ValueError) as error:
        problem = f'unreadable ({error.__class__.__name__})'
    else:
        problem = record_problem(record, key, count, with_ssim)
    if problem:
        print(f'score cache: {path}: {problem}; discarded, scoring again.', file=sys.stderr)
        return None
    _memory[key] = record['scores']
    return copy.deepcopy(_memory[key])


def scores_sha256(scores):
    return hashlib.sha256(json.dumps(scores, sort_keys=True).encode()).hexdigest()


def record_problem(record, key, count, with_ssim):
    """What is wrong with a cache record read from disk (None: nothing): it must be
    ``{key, sha256, scores}`` with this ``key``, the sha256 of its scores, and ``count`` per-image
    dicts of finite psnr, input_psnr (either may be +inf: an exact image), mse and, ``with_ssim``,
    ssim (else None)."""
    if not isinstance(record, dict) or set(record) != {'key', 'sha256', 'scores'}:
        return 'not a score record ({key, sha256, scores})'
    if record['key'] != key:
        return 'its key is not its file name'
    if record['sha256'] != scores_sha256(record['scores']):
        return 'its scores are not those it was stored with (sha256 differs)'
    scores = record['scores']
    if not isinstance(scores, list) or len(scores) != count:
        return f'expected {count} per-image scores'
    for item in scores:
        if not isinstance(item, dict) or not isinstance(item.get('name'), str):
            return 'a per-image score without its image name'
        psnrs = [item.get(k) for k in ('psnr', 'input_psnr')]
        if not all(is_finite_number(v) or v == math.inf for v in psnrs) or not is_finite_number(item.get('mse')) \
                or not (is_finite_number(item.get('ssim')) if with_ssim else item.get('ssim') is None):
            return f"a score of {item['name']} is missing or not finite"
    return None


def store_scores(key, scores):
    _memory[key] = copy.deepcopy(scores)
    folder = cache_dir()
    if folder:
        try:
            write_json_atomic(dict(key=key, sha256=scores_sha256(scores), scores=scores),
                              osp.join(folder, f'{key}.json'))
        except OSError:  # a read-only home: the scores stay in memory only
            pass
