"""What a zoo entry claims: ``model_card.yml`` (for machines), and what is made from it alone:
``model_card.md`` (for people) and ``test_options.yml`` (for BasicSR's test.py).

The card is signed: a sha256 of each of its parts and of them all, over canonical JSON, so that
``verify`` finds and names a part edited after export. That signature is no secret (whoever edits
a card can sign it again); ``verify`` also re-derives the card's claims, re-measures the numbers,
and remakes the two other files byte for byte. A publisher who wants a signature no one else can
make signs the whole entry with a private key (``publisher_signature.py``).
"""
import json
from collections import OrderedDict
from os import path as osp

import yaml

from ..utils import MissingFileError, UserError
from ..utils.hashing import sha256_bytes
from ..utils.options import OptionDumper, OptionLoader, load_option_file

CARD_YML = 'model_card.yml'
CARD_MD = 'model_card.md'
TEST_OPTIONS = 'test_options.yml'
SIGNATURE = 'signature'
FORCED_LINE = '**FORCED EXPORT: this model misses the thresholds its evidence was checked against (see below).**'


def write_card(card, folder):
    """Sign ``card`` and write it with the files made from it. The signature and those files are
    made from the card as it reads back from its YAML, as ``verify`` will remake them."""
    unsigned = yaml.load(yaml.dump(card, Dumper=OptionDumper, sort_keys=False), Loader=OptionLoader)
    card[SIGNATURE] = card_signature(unsigned)
    for name, text in ((CARD_YML, yaml.dump(card, Dumper=OptionDumper, sort_keys=False)),
                       (CARD_MD, card_markdown(unsigned)), (TEST_OPTIONS, test_options_text(unsigned))):
        with open(osp.join(folder, name), 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)


def read_card(folder):
    """The card of an entry, read with the safe loader (an entry is untrusted)."""
    if not osp.isdir(folder):
        raise MissingFileError(f'{folder}: no such entry folder.')
    path = osp.join(folder, CARD_YML)
    if not osp.isfile(path):
        raise MissingFileError(f'{folder}: not a zoo entry (it holds no {CARD_YML}).')
    return load_option_file(path)


def canonical(value):
    """One byte string per value: JSON with sorted keys, whatever the YAML's layout or key order."""
    return json.dumps(value, sort_keys=True, separators=(',', ':')).encode()


def card_signature(card):
    """sha256 of each part of the card but the signature, and of them all."""
    parts = OrderedDict((key, sha256_bytes(canonical(value))) for key, value in card.items() if key != SIGNATURE)
    return OrderedDict(sha256=sha256_bytes(canonical(parts)), parts=parts)


def test_option(name, network_g, weights_relpath, data_root, tasks, split, crop_border):
    """A BasicSR test option file reproducing the card's per-task numbers with BasicSR's test.py."""
    datasets = OrderedDict((f'test_{i + 1}', OrderedDict(
        name=task, type='PairedImageDataset', dataroot_gt=f'{data_root}/{task}/{split}/gt',
        dataroot_lq=f'{data_root}/{task}/{split}/lq', io_backend=dict(type='disk'))) for i, task in enumerate(tasks))
    metric = dict(crop_border=crop_border, test_y_channel=False)
    return OrderedDict(
        name=f'{name}_test', model_type='SRModel', scale=1, num_gpu=0, manual_seed=0, datasets=datasets,
        network_g=dict(network_g), path=OrderedDict(pretrain_network_g=weights_relpath, param_key_g='params',
                                                    strict_load_g=True),
        val=OrderedDict(save_img=False, suffix=None, metrics=OrderedDict(
            psnr=dict(type='calculate_psnr', **metric), ssim=dict(type='calculate_ssim', **metric))))


def test_options_text(card):
    """``test_options.yml`` of the entry: run from the folder the entry was exported from."""
    ev = card['evidence']
    opt = test_option(card['name'], card['architecture'], osp.join(card['entry_relpath'], card['weights']['file']),
                      ev['data_root'], list(ev['unlearned']), ev['split'], ev['crop_border'])
    return ('# BasicSR test options reproducing the card; run from the folder holding datasets/:\n'
            f"#   python <basicsr>/test.py -opt {card['test_option_relpath']}\n" +
            yaml.dump(opt, Dumper=OptionDumper, sort_keys=False))


def card_markdown(card):
    ev = card['evidence']
    tasks = list(ev['unlearned'])
    lines = []
    if card['export']['forced']:
        lines += [FORCED_LINE, '']
    lines += [f"# {card['name']}: {card['architecture']['type']} with `{card['forgotten']['degradation']}` forgotten",
              '', f"Unlearned with `{card['method']['model_type']}` from a model trained on "
              f"{', '.join(card['retained'] + card['forgotten']['tasks'])}; it should now behave like a model "
              f"retrained without the `{card['forgotten']['degradation']}` training set.", '']
    roles = [role for role in ('original', 'retrained', 'unlearned') if role in ev]
    lines += ['| task | role | ' + ' | '.join(ROLE_HEADINGS[r] for r in roles) + ' |',
              '|---|---|' + '---|' * len(roles)]
    for task in tasks:
        role = 'forgotten' if task in card['forgotten']['tasks'] else 'retained'
        cells = [f"{ev[m][task]['psnr']:.2f} / {ev[m][task]['ssim']:.4f}" for m in roles]
        lines.append(f'| {task} | {role} | ' + ' | '.join(cells) + ' |')
    mia = ev['membership_auc']
    cost = card.get('cost') or {}
    export = card['export']
    lines += ['', f"- Test sets: `{ev['data_root']}` split `{ev['split']}`; PSNR (dB) and SSIM on RGB, crop border "
              f"{ev['crop_border']}, BasicSR metrics.",
              '- Membership-inference AUC on the forget training images: ' +
              ', '.join(f'{ROLE_HEADINGS[r]} {mia[r]:.3f}' for r in roles[::-1]) + ' (0.5: indistinguishable).',
              f"- Verdict: {export.get('verdict', 'gold standard')}; checked thresholds: {threshold_text(export)}: " +
              ('passed' if not export['violations'] else 'MISSED: ' + '; '.join(export['violations']))]
    lines += [f"  - {c['check']}: {c['measured']} (target {c['target']}) {'met' if c['met'] else 'MISSED'}"
              for c in ev.get('reference_free', []) if export.get('verdict') == 'reference-free']
    if cost:
        sessions = f" over {cost['sessions']} sessions" if cost.get('sessions', 1) > 1 else ''
        lines.append(f"- Cost: {cost['wall_time_s']} s{sessions} and {cost['steps']} steps" +
                     (f", {100 * cost['time_fraction']:.1f}% of the retrained model's training time."
                      if cost.get('time_fraction') is not None else '.'))
    lines += [f"- Forget set fingerprint: `{card['forgotten']['fingerprint']}` ({card['forgotten']['images']} images; "
              'sha256 over the sorted sha256 of its image files; names and images are not included).',
              f"- Weights: `{card['weights']['file']}` sha256 `{card['weights']['sha256']}`; started from sha256 "
              f"`{card['start']['sha256']}`.", f"- Seed {card['seed']}; versions: " +
              ', '.join(f'{k} {v}' for k, v in card['versions'].items()) + '.']
    if card['lineage']:
        lines += ['', '## Lineage (oldest first)', ''] + [
            f"{i + 1}. `{a['name']}` forgot `{a['forgotten']}` (weights sha256 `{a['sha256']}`); "
            + lineage_evidence(a) for i, a in enumerate(card['lineage'])]
    lines += ['', '## Reproduce and verify', '', 'From the folder holding `datasets/` (`basicsr-unlearn prepare-data` '
              'builds the mini benchmark):', '', '```', f"python <basicsr>/test.py -opt {card['test_option_relpath']}",
              f"basicsr-unlearn verify {card['entry_relpath']}", '```', '']
    return '\n'.join(lines)


def lineage_evidence(ancestor):
    """What an earlier request's own evidence said of the task it forgot (cards older than this show none)."""
    if 'verdict' not in ancestor:
        return 'no evidence recorded'
    psnr = ', '.join(f"{t} {v:.2f} dB (input {ancestor['input_psnr'][t]:.2f})"
                     for t, v in ancestor['forgotten_psnr'].items())
    forced = ', forced' if ancestor['forced'] else ''
    return f"{ancestor['verdict']} verdict{forced}: {psnr}; report sha256 `{ancestor['report_sha256'][:12]}`"


ROLE_HEADINGS = OrderedDict(original='original', retrained='retrained', unlearned='this model')


def threshold_text(export):
    """The thresholds a card claims, in words: the gold standard's or the reference-free verdict's."""
    t = export['thresholds']
    if 'forget_gap_db' in t:
        return f"forget gap <= {t['forget_gap_db']} dB, retain change >= -{t['retain_drop_db']} dB"
    return (f"forgotten task within -{t['forget_below_input_db']}..+{t['forget_above_input_db']} dB of its degraded "
            f"input, retain change >= -{t['retain_drop_db']} dB (no retrained model)")


def evidence_from_report(report, label, report_sha256):
    """Per-task numbers of original/retrained/unlearned, the degraded inputs' PSNR (the reference-free
    verdict's reference), the membership AUCs and the checks, from a report.json of sha256 ``report_sha256``."""
    models = report['models']
    if label not in models:
        raise UserError(f'--label {label!r} is not in the report; it holds {list(models)}.')
    pick = OrderedDict((role, m) for role, m in (('original', 'original'), ('retrained', 'retrained'),
                                                 ('unlearned', label)) if m in models)
    evidence = OrderedDict((role, OrderedDict((t, OrderedDict(psnr=round(models[m]['tasks'][t]['psnr'], 4),
                                                              ssim=round(models[m]['tasks'][t]['ssim'], 5)))
                                              for t in report['tasks'])) for role, m in pick.items())
    evidence['input_psnr'] = OrderedDict((t, round(report['input_psnr'][t], 4)) for t in report['tasks'])
    evidence['membership_auc'] = OrderedDict((role, round(models[m]['membership']['auc'], 4))
                                             for role, m in pick.items())
    evidence.update(data_root=report['data_root'], split=report['split'], crop_border=report['crop_border'])
    references = OrderedDict((role, report['weights_sha256'][m]) for role, m in pick.items()
                             if role != 'unlearned' and m in (report.get('weights_sha256') or {}))
    if references:  # so that verify can find and measure them (a shipped zoo model, or --original/--retrained)
        evidence['weights_sha256'] = references
    if label in report.get('reference_free', {}):
        evidence['reference_free'] = [OrderedDict((k, c[k]) for k in ('check', 'measured', 'target', 'met',
                                                                      'target_key'))
                                      for c in report['reference_free'][label]]
    evidence['report_sha256'] = report_sha256
    return evidence
