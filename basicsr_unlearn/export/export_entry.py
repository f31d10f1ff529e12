"""``export``: an unlearning experiment -> a self-describing, verifiable zoo entry folder.

The entry holds the weights as a BasicSR file, ``model_card.yml``/``model_card.md``
and a test option file that BasicSR's own ``test.py`` runs. Export refuses weights whose
sha256 is not the one the report recorded (the evidence must be theirs), and evidence that
misses the thresholds the card would claim, unless forced (then the card says so on its
first line). The thresholds are the gold standard's when the report has a retrained model,
else the reference-free verdict's (``evaluation/reference_free.py``); the card says which.
The entry appears whole or not at all, with the modes ``os.makedirs`` and ``open`` would give it:
they follow the umask, as every other tool's files do (0755/0644 under the usual 022; a user whose
umask is 077 asked for private files and gets them).
"""
import json
import os
import platform
import re
import shutil
import tempfile
from collections import OrderedDict
from os import path as osp

import torch

import basicsr
from basicsr.archs import build_network

from ..data.forget_retain_paired_dataset import side_sources
from ..evaluation.acceptance import EXPORT_TARGETS, TARGETS, acceptance_checks, missed
from ..evaluation.reference_free import EXPORT_CHECKS, EXPORT_THRESHOLDS
from ..tasks import task_split
from ..utils import MissingFileError, UserError
from ..utils.checkpoint import check_finite_weights, load_weights, safe_load
from ..utils.files import check_new_folder, current_umask
from ..utils.hashing import set_fingerprint, sha256_bytes, sha256_file
from ..utils.options import load_option_file
from ..version import __version__
from .model_card import CARD_YML, TEST_OPTIONS, evidence_from_report, read_card, write_card
from .publisher_signature import check_can_sign, sign_entry


class ExportRefused(UserError):
    """The evidence does not support the card's claims."""


#: an entry's name is its weights' file name too: one path component, no way out of the folder
ENTRY_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]*')


def entry_name(out, name=None):
    """The entry's name: ``name``, else the last component of the folder ``out``; refused unless
    it is a plain file name (letters, digits, '.', '_', '-'), so nothing is written outside the entry."""
    if not out or not str(out).strip():
        raise UserError('--out: expected the new entry folder, got an empty path.')
    given = name if name is not None else osp.basename(osp.normpath(out))
    if not ENTRY_NAME.fullmatch(given):
        option = '--name' if name is not None else '--out'
        raise UserError(f'{option}: the entry name {given!r} is not a plain file name (letters, digits, ".", "_" '
                        'and "-", starting with a letter or digit).')
    return given


def forget_fingerprint(opt):
    """sha256 over the sorted sha256 of every forget pair's gt and lq bytes (disk or LMDB); no names."""
    hashes = [h for source in side_sources(opt['datasets']['train'], 'forget')
              for key in ('lq', 'gt') for h in source.image_hashes(key)]
    return set_fingerprint(hashes), len(hashes)


def lineage_of(start_path, start_sha):
    """Ancestors of the starting weights, when they come from a zoo entry (its card beside them):
    each earlier request with its verdict and what its evidence measured on the task it forgot."""
    folder = osp.dirname(osp.abspath(start_path))
    if not osp.isfile(osp.join(folder, CARD_YML)):
        return [], None
    parent = read_card(folder)
    if parent['weights']['sha256'] != start_sha:
        raise ExportRefused(f'the starting weights {start_path} do not match the card beside them '
                            f'({start_sha[:12]} vs {parent["weights"]["sha256"][:12]}).')
    evidence, tasks = parent['evidence'], parent['forgotten']['tasks']
    ancestor = OrderedDict(name=parent['name'], forgotten=parent['forgotten']['degradation'],
                           sha256=parent['weights']['sha256'], verdict=parent['export']['verdict'],
                           forced=parent['export']['forced'],
                           forgotten_psnr=OrderedDict((t, evidence['unlearned'][t]['psnr']) for t in tasks),
                           input_psnr=OrderedDict((t, evidence['input_psnr'][t]) for t in tasks),
                           report_sha256=evidence['report_sha256'])
    return list(parent.get('lineage') or []) + [ancestor], parent


def claimed_checks(report, report_file, label, thresholds=None):
    """(verdict, thresholds, violations): what the card will claim and what the evidence misses."""
    if 'retrained' in report['models']:
        targets = dict(TARGETS, **(thresholds or {}))
        checks = acceptance_checks(report['gaps'][label], targets=targets)
        return ('gold standard', OrderedDict((key, targets[key]) for key in EXPORT_TARGETS),
                missed(checks, EXPORT_TARGETS))
    checks = (report.get('reference_free') or {}).get(label)
    if checks is None:
        raise ExportRefused(f'{report_file} has neither a retrained model nor a reference-free verdict for '
                            f'{label!r}; evaluate the weights again, then export.')
    return 'reference-free', OrderedDict(EXPORT_THRESHOLDS), missed(checks, EXPORT_CHECKS)


def export_entry(option_file, report_file, out, checkpoint=None, label=None, force=False, thresholds=None,
                 name=None, sign_key=None):
    """Write the entry folder ``out`` (which must not exist), signed with the publisher's private key
    ``sign_key`` when given (``publisher_signature.py``). Returns the card."""
    name = entry_name(out, name)
    check_new_folder(out, '--out')
    if sign_key is not None:
        check_can_sign(sign_key)
    opt = load_option_file(option_file)
    with open(report_file, 'rb') as f:
        report_bytes = f.read()  # the bytes parsed are the bytes whose sha256 the card keeps
    report = json.loads(report_bytes)
    candidates = [m for m in report['models'] if m not in ('original', 'retrained')]
    label = label or (candidates[0] if len(candidates) == 1 else None)
    if label is None:
        raise UserError(f'{report_file} holds several unlearned models {candidates}; choose one with --label.')
    checkpoint = checkpoint or report.get('weights', {}).get(label)
    if not checkpoint or not osp.isfile(checkpoint):
        raise MissingFileError(f'checkpoint of {label!r} not found ({checkpoint}); give it with --checkpoint.')
    check_evidence_is_of(report, report_file, label, checkpoint)
    verdict, thresholds, violations = claimed_checks(report, report_file, label, thresholds)
    if violations and not force:
        raise ExportRefused('not exported, the evidence misses the thresholds: ' + '; '.join(violations) +
                            ' (use --force to export anyway; the card will say so on its first line).')
    start = opt['path'].get('pretrain_network_g_original') or opt['path']['pretrain_network_g']
    start_sha = sha256_file(start)
    lineage, _ = lineage_of(start, start_sha)
    raw = safe_load(checkpoint)
    keys = [k for k in ('params', 'params_ema') if isinstance(raw, dict) and k in raw]
    if not keys:
        raise UserError(f'{checkpoint}: expected a BasicSR file with params/params_ema.')
    net = build_network(dict(opt['network_g']))
    # the entry is built in a temporary folder beside `out` and renamed at the end: a failure
    # leaves no half-written entry to block the next try
    parent = osp.dirname(osp.abspath(out))
    os.makedirs(parent, exist_ok=True)
    building = tempfile.mkdtemp(prefix=f'.{name}.', dir=parent)
    try:
        os.chmod(building, 0o777 & ~current_umask())  # mkdtemp's are owner-only; an entry is for others too
        card = write_entry(building, out, name, opt, report, sha256_bytes(report_bytes), label, net, raw, keys,
                           start, start_sha, lineage, OrderedDict(verdict=verdict, forced=bool(violations),
                                                                  thresholds=thresholds, violations=violations))
        if sign_key is not None:
            sign_entry(building, sign_key)  # over the files as they will be; the folder's name is not signed
        os.rename(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return card


def check_evidence_is_of(report, report_file, label, checkpoint):
    """The report's numbers must be those of ``checkpoint``: its sha256 must be the one the report recorded."""
    recorded = (report.get('weights_sha256') or {}).get(label)
    if recorded is None:
        raise ExportRefused(f'{report_file} records no sha256 for {label!r} (made before reports bound their '
                            'evidence to the weights); evaluate the weights again, then export.')
    actual = sha256_file(checkpoint)
    if actual != recorded:
        raise ExportRefused(f'{checkpoint} (sha256 {actual[:12]}) is not the {label!r} that {report_file} evaluated '
                            f'(sha256 {recorded[:12]}): the weights changed after the evaluation. Evaluate them '
                            'again, then export.')


def write_entry(folder, out, name, opt, report, report_sha256, label, net, raw, keys, start, start_sha, lineage,
                export):
    """The entry's files in ``folder``, which will become ``out``. Returns the card."""
    weights_file = f'{name}.pth'
    weights_path = osp.join(folder, weights_file)
    torch.save(OrderedDict((k, raw[k]) for k in keys), weights_path)
    load_weights(net, weights_path, strict=True)  # must load into the registered architecture as is
    check_finite_weights(net, weights_path)

    forget = report['forget']
    forget_tasks, retain_tasks = task_split(report['tasks'], forget)
    fingerprint, images = forget_fingerprint(opt)
    cwd_relpath = osp.relpath(out)
    card = OrderedDict(
        name=name, architecture=dict(opt['network_g']),
        weights=OrderedDict(file=weights_file, sha256=sha256_file(weights_path), keys=keys),
        start=OrderedDict(file=osp.basename(start), sha256=start_sha),
        forgotten=OrderedDict(degradation=forget, tasks=forget_tasks, fingerprint=fingerprint, images=images),
        retained=retain_tasks,
        method=OrderedDict(model_type=opt['model_type'], train=opt['train']),
        evidence=evidence_from_report(report, label, report_sha256),
        cost=report.get('cost', {}).get(label),
        seed=opt.get('manual_seed'),
        versions=OrderedDict(python=platform.python_version(), torch=str(torch.__version__),
                             basicsr=str(basicsr.__version__), basicsr_unlearn=__version__),
        lineage=lineage,
        export=export,
        test_option_relpath=osp.join(cwd_relpath, TEST_OPTIONS), entry_relpath=cwd_relpath)
    write_card(card, folder)
    return card
