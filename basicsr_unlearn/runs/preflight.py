"""What an unlearning run checks before it trains, so that a job fails in seconds, not after
an hour on rented GPUs: the network fits the weights, every source reads, forget and retain
are disjoint; and, for ``forget --dry-run``, what one step costs on the device it would use.
"""
import hashlib
import json
import resource
import sys
import tempfile
import time
from collections import OrderedDict
from copy import deepcopy

import torch
from torch.utils.data import default_collate

from ..data.forget_retain_paired_dataset import side_blocks, side_sources
from ..evaluation.networks import network_from_weights
from ..evaluation.restoration_metrics import paired_sources
from ..utils import UserError
from ..utils.options import dump_option

SIDES = ('forget', 'retain', 'reference')


def side_hashes(train_opt, side, client_key='gt'):
    """{sha256: 'tag: file'} of the ``client_key`` images of one side of a ForgetRetainPairedDataset block."""
    found = {}
    column = 1 if client_key == 'gt' else 0
    for source in side_sources(train_opt, side):
        for digest, pair in zip(source.image_hashes(client_key), source.pairs):
            found.setdefault(digest, f'{source.tag}: {pair[column]}')
    return found


def pixel_hashes(sources):
    """{sha256 of the decoded clean pixels: 'tag: file'} of every pair of ``sources``, decoding (and
    so checking) both images of each: the same photograph under another name, folder or encoding
    (PNG re-saved at another compression, say) has the same pixels."""
    found = {}
    for source in sources:
        for index in range(len(source)):
            _, img_gt, _, gt_path = source.read(index)
            digest = hashlib.sha256(f'{img_gt.shape}'.encode() + img_gt.tobytes()).hexdigest()
            found.setdefault(digest, f'{source.tag}: {gt_path}')
    return found


def check_disjoint(train_opt):
    """Refuse forget and retain sides (of a ForgetRetainPairedDataset block) that hold the same
    clean image: the retain descent would teach back what the ascent removes. Compared by content
    (the decoded pixels of every pair, which are all read here), so copies under other names,
    folders or encodings are found too. Returns the two sides' ``side_hashes`` (of the files: what
    a run's identity is made of), so that nothing reads them again."""
    forget, retain = (pixel_hashes(side_sources(train_opt, side)) for side in ('forget', 'retain'))
    shared = sorted(set(forget) & set(retain))
    if shared:
        raise UserError(f'the forget and retain sets share {len(shared)} image(s), e.g. {forget[shared[0]]} is '
                        f'{retain[shared[0]]}; remove them from one side.')
    return OrderedDict((side, side_hashes(train_opt, side)) for side in ('forget', 'retain'))


def read_every_source(train_opt):
    """{side: {tag: pairs}}, after reading the first pair of every source (a missing or unreadable
    file raises naming its option key and path; ``check_disjoint`` then reads every pair)."""
    counts = OrderedDict()
    for side in SIDES:
        if not side_blocks(train_opt, side):
            continue
        counts[side] = OrderedDict()
        for source in side_sources(train_opt, side):
            source.read(0)
            counts[side][source.tag] = counts[side].get(source.tag, 0) + len(source)
    return counts


def read_evaluation_splits(data_root, tasks, splits=('val', 'test')):
    """{split: pairs} after decoding every pair of each task's ``splits`` under ``data_root``: what
    the stop rule and the evaluation read after the training fails here, naming the file, first."""
    counts = OrderedDict()
    for split in splits:
        sources = paired_sources(data_root, tasks, split)
        for source in sources.values():
            for index in range(len(source)):
                source.read(index)
        counts[split] = sum(len(source) for source in sources.values())
    return counts


def run_device(opt):
    """'cuda' when the option asks for GPUs (num_gpu auto or > 0) and this machine has one, else 'cpu'."""
    wants_gpu = opt.get('num_gpu', 'auto') == 'auto' or int(opt.get('num_gpu') or 0) > 0
    return 'cuda' if wants_gpu and torch.cuda.is_available() else 'cpu'


def first_batch(opt):
    """One training batch (``batch_size_per_gpu`` items) of ``opt``'s own training set."""
    from basicsr.data import build_dataset
    train_opt = dict(opt['datasets']['train'], phase='train')
    dataset = build_dataset(train_opt)
    return default_collate([dataset[i % len(dataset)] for i in range(train_opt['batch_size_per_gpu'])])


def peak_memory_mib(device):
    """On a GPU the peak torch allocated, on CPU the process's peak resident size (ru_maxrss is
    KiB on Linux, bytes on macOS)."""
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** (20 if sys.platform == 'darwin' else 10)


def measure_step(opt, device, batch, steps=2):
    """Seconds of one training step (the last of ``steps``; the first warms up) and peak memory in
    MiB (``peak_memory_mib``) of the model BasicSR builds from ``opt``, on ``batch``."""
    from basicsr.models import build_model
    with tempfile.TemporaryDirectory() as scratch:
        opt = deepcopy(opt)
        opt.update(num_gpu=int(device == 'cuda'), is_train=True, dist=False, rank=0, world_size=1)
        opt['path'].update(models=scratch, training_states=scratch, experiments_root=scratch)
        model = build_model(opt)
        if device == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        model.feed_data(batch)
        for step in range(1, steps + 1):
            if device == 'cuda':
                torch.cuda.synchronize()
            start = time.perf_counter()
            model.optimize_parameters(step)
            if device == 'cuda':
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
    return OrderedDict(device=device, seconds_per_step=round(seconds, 4),
                       peak_memory_mib=round(peak_memory_mib(device), 1),
                       memory='peak allocated by torch' if device == 'cuda' else 'peak resident size of the process')


def preflight(opt, weights, network_opt, source=None, measure=False, data_root=None, tasks=None):
    """Check the run of ``opt`` from ``weights`` before it trains; with ``measure``, also time one
    step on the device it would use; with ``data_root``, also decode the val and test pairs of
    ``tasks`` there. Returns what ``format_preflight`` prints, and under ``gt_hashes`` the clean
    images' ``side_hashes`` of forget and retain."""
    network_from_weights(weights, dict(network_opt), source=source)
    train_opt = opt['datasets']['train']
    counts = read_every_source(train_opt)
    gt_hashes = check_disjoint(train_opt)
    found = OrderedDict(weights=weights, model_type=opt['model_type'], network=dict(network_opt),
                        total_iter=int(opt['train']['total_iter']), pairs=counts, gt_hashes=gt_hashes)
    if data_root is not None:
        found['evaluation_pairs'] = read_evaluation_splits(data_root, tasks)
    if measure:
        cost = measure_step(opt, run_device(opt), first_batch(opt))
        cost.update(batch=opt['datasets']['train']['batch_size_per_gpu'], crop=opt['datasets']['train'].get('gt_size'))
        cost['projected_run_s'] = round(cost['seconds_per_step'] * found['total_iter'], 1)
        found['step'] = cost
    return found


def format_preflight(found, opt):
    """The dry run's printout: the option file it would run, then what was checked and measured."""
    lines = ['# the option file this run would train with:', dump_option(opt).rstrip(), '',
             f"checked: the weights fit {json.dumps(found['network'])}; every forget and retain image decodes; "
             'forget and retain share no image']
    if 'evaluation_pairs' in found:
        lines.append('  every val and test pair decodes: ' +
                     ', '.join(f'{split} {count} pairs' for split, count in found['evaluation_pairs'].items()))
    for side, tags in found['pairs'].items():
        lines.append(f'  {side:<9} ' + ', '.join(f'{tag}: {count} pairs' for tag, count in tags.items()))
    step = found.get('step')
    if step:
        lines.append(f"one {found['model_type']} step on {step['device']} (batch {step['batch']}, "
                     f"crop {step['crop']}): {step['seconds_per_step']:.3f} s, {step['peak_memory_mib']:.0f} MiB "
                     f"({step['memory']}); "
                     + ('at most ' if 'stop_rule' in opt['train'] else '')
                     + f"{found['total_iter']} steps: about {step['projected_run_s'] / 60:.1f} min")
    return '\n'.join(lines)
