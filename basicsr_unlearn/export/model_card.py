"""What a zoo entry claims: ``model_card.yml`` (for machines) and ``model_card.md`` (for people)."""
from collections import OrderedDict

import yaml

from ..compat.option_yaml import OptionDumper, load_option_file
from ..utils import UserError

CARD_YML = 'model_card.yml'
CARD_MD = 'model_card.md'
FORCED_LINE = '**FORCED EXPORT: this model misses the thresholds its evidence was checked against (see below).**'


def write_card(card, folder):
    with open(f'{folder}/{CARD_YML}', 'w', encoding='utf-8') as f:
        yaml.dump(card, f, Dumper=OptionDumper, sort_keys=False)
    with open(f'{folder}/{CARD_MD}', 'w', encoding='utf-8') as f:
        f.write(card_markdown(card))


def read_card(folder):
    """The card of an entry, read with the safe loader (an entry is untrusted)."""
    return load_option_file(f'{folder}/{CARD_YML}')


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
            f"{i + 1}. `{a['name']}` forgot `{a['forgotten']}` (weights sha256 `{a['sha256']}`)"
            for i, a in enumerate(card['lineage'])]
    lines += ['', '## Reproduce and verify', '', 'From the folder holding `datasets/` (`basicsr-unlearn prepare-data` '
              'builds the mini benchmark):', '', '```', f"python <basicsr>/test.py -opt {card['test_option_relpath']}",
              f"basicsr-unlearn verify {card['entry_relpath']}", '```', '']
    return '\n'.join(lines)


ROLE_HEADINGS = OrderedDict(original='original', retrained='retrained', unlearned='this model')


def threshold_text(export):
    """The thresholds a card claims, in words: the gold standard's or the reference-free verdict's."""
    t = export['thresholds']
    if 'forget_gap_db' in t:
        return f"forget gap <= {t['forget_gap_db']} dB, retain change >= -{t['retain_drop_db']} dB"
    return (f"forgotten task within -{t['forget_below_input_db']}..+{t['forget_above_input_db']} dB of its degraded "
            f"input, retain change >= -{t['retain_drop_db']} dB (no retrained model)")


def evidence_from_report(report, label):
    """Per-task numbers of original/retrained/unlearned and the membership AUCs from a report.json."""
    models = report['models']
    if label not in models:
        raise UserError(f'--label {label!r} is not in the report; it holds {list(models)}.')
    pick = OrderedDict((role, m) for role, m in (('original', 'original'), ('retrained', 'retrained'),
                                                 ('unlearned', label)) if m in models)
    evidence = OrderedDict((role, OrderedDict((t, OrderedDict(psnr=round(models[m]['tasks'][t]['psnr'], 4),
                                                              ssim=round(models[m]['tasks'][t]['ssim'], 5)))
                                              for t in report['tasks'])) for role, m in pick.items())
    evidence['membership_auc'] = OrderedDict((role, round(models[m]['membership']['auc'], 4))
                                             for role, m in pick.items())
    evidence.update(data_root=report['data_root'], split=report['split'], crop_border=report['crop_border'])
    if label in report.get('reference_free', {}):
        evidence['reference_free'] = [OrderedDict((k, c[k]) for k in ('check', 'measured', 'target', 'met'))
                                      for c in report['reference_free'][label]]
    return evidence
