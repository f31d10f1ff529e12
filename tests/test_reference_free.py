"""The reference-free verdict: its checks, its membership interval, reports and zoo entries without a
retrained model, and its agreement with the gold standard."""
import importlib.util
import json
import os
from collections import OrderedDict

import numpy as np
import pytest
import torch

from basicsr.archs import build_network
from basicsr_unlearn.cli import main as cli_main
from basicsr_unlearn.evaluation.membership import auc, auc_interval
from basicsr_unlearn.evaluation.reference_free import (ABOVE_INPUT_DB, BELOW_INPUT_DB, agreement_rows,
                                                       reference_free_checks)
from basicsr_unlearn.evaluation.report_writer import format_table, markdown, summary_of
from basicsr_unlearn.evaluation.unlearning_report import build_report
from basicsr_unlearn.utils.checkpoint import load_weights
from conftest import TAGS, TINY_NET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_auc_interval_holds_the_auc_and_narrows_with_more_images():
    rng = np.random.default_rng(0)
    members, non_members = rng.normal(size=200), rng.normal(size=10)
    low, high = auc_interval(members, non_members)
    assert low < auc(members, non_members) < high and low < 0.5 < high
    assert auc_interval(members, non_members) == [low, high]  # seeded: a report is reproducible
    wide = high - low
    low, high = auc_interval(members, rng.normal(size=200))
    assert high - low < wide / 2
    low, high = auc_interval(rng.normal(1.5, 1, size=200), rng.normal(size=30))
    assert low > 0.75  # a clear signal: chance lies outside


def result(psnr, membership_auc=0.5, interval=(0.4, 0.6)):
    return dict(tasks={t: dict(psnr=v) for t, v in psnr.items()},
                membership_unseen=dict(auc=membership_auc, interval=list(interval), split='val'))


def test_a_retained_task_is_judged_image_by_image():
    """Mean -0.1 dB, but 13 of 17 images lose 3 dB while 4 gain 9: the mean check passes, the median
    and collapsed-share checks do not; one collapsed image of 17 (5.9 %) is within the tolerance."""
    input_psnr = {'rain': 22.0, 'haze': 15.0}
    before = {f'{i:02d}': 23.0 for i in range(17)}
    swung = {name: 20.0 if i < 13 else 32.325 for i, name in enumerate(before)}

    def rows(after):
        made = [dict(tasks=dict(rain=dict(psnr=22.2),
                                haze=dict(psnr=float(np.mean(list(images.values()))), images=images)))
                for images in (after, before)]
        return {r['target_key']: r for r in reference_free_checks(made[0], made[1], input_psnr, ['rain'], ['haze'])}

    swing = rows(swung)
    assert swing['retain_drop_db']['met'] and swing['retain_drop_db']['measured'] == '-0.10 dB'
    assert not swing['retain_median_db']['met'] and swing['retain_median_db']['measured'] == '-3.00 dB'
    assert not swing['retain_collapsed_share']['met'] and swing['retain_collapsed_share']['measured'] == '76.5%'
    one = rows(dict(before, **{'00': 18.0}))
    assert one['retain_collapsed_share']['measured'] == '5.9%' and one['retain_collapsed_share']['met']


def test_reference_free_checks_judge_against_the_input_and_chance():
    input_psnr = {'rain': 22.0, 'haze': 17.0}
    original = result({'rain': 27.0, 'haze': 21.0}, 0.8, (0.7, 0.9))

    def verdict(rain, haze=21.0, interval=(0.4, 0.6)):
        rows = reference_free_checks(result({'rain': rain, 'haze': haze}, 0.5, interval), original, input_psnr,
                                     ['rain'], ['haze'])
        return {r['target_key']: r['met'] for r in rows}

    assert verdict(22.3) == dict(forget_vs_input=True, retain_drop_db=True, membership_vs_chance=True)
    assert not verdict(22.0 + ABOVE_INPUT_DB + 0.1)['forget_vs_input']  # still derains: not forgotten
    assert not verdict(22.0 - BELOW_INPUT_DB - 0.1)['forget_vs_input']  # damages rainy images: over-forgotten
    assert not verdict(22.3, haze=20.7)['retain_drop_db']
    assert not verdict(22.3, interval=(0.55, 0.8))['membership_vs_chance']
    rows = reference_free_checks(result({'rain': 22.3, 'haze': 21.0}), result({'rain': 27, 'haze': 21}), input_psnr,
                                 ['rain'], ['haze'])
    assert 'cannot tell' in rows[-1]['target']  # the original showed no signal either: said, not hidden


def net_from(path, scale=1.0):
    net = build_network(dict(TINY_NET))
    load_weights(net, str(path))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(scale)
    return net.eval()


@pytest.fixture(scope='module')
def free_report(tiny_data, tiny_pretrained):
    networks = OrderedDict(original=net_from(tiny_pretrained), unlearned=net_from(tiny_pretrained, 0.9))
    return build_report(networks, 'rain', str(tiny_data), list(TAGS), split='val', non_member_splits=('val',))


def test_report_without_a_retrained_model(free_report):
    assert free_report['gaps'] == {} and free_report['checks'] == {}
    checks = free_report['reference_free']['unlearned']
    retain_keys = ['retain_drop_db', 'retain_median_db', 'retain_collapsed_share']
    assert [c['target_key'] for c in checks] == ['forget_vs_input'] + retain_keys * 2 + ['membership_vs_chance']
    images = free_report['models']['unlearned']['tasks']['haze']['images']
    assert len(images) == free_report['models']['unlearned']['tasks']['haze']['count']
    membership = free_report['models']['unlearned']['membership_unseen']
    assert membership['members'] == 8 and membership['non_members'] == 2 and membership['split'] == 'val'
    assert 'unlearned' in format_table(free_report)
    assert '- reference-free checks met by **unlearned**' in markdown(free_report)
    summary = summary_of(free_report)
    assert summary['models']['unlearned']['avg_gap'] is None and summary['reference_free']['unlearned'] == checks


def test_agreement_rows_pair_each_check_with_the_gold_one(tiny_data, tiny_pretrained):
    networks = OrderedDict(original=net_from(tiny_pretrained), retrained=build_network(dict(TINY_NET)).eval(),
                           unlearned=net_from(tiny_pretrained, 0.9))
    report = build_report(networks, 'rain', str(tiny_data), list(TAGS), split='val', non_member_splits=('val',))
    rows = agreement_rows(report)
    assert [(r['check'], r['gold_check']) for r in rows] == [
        ('forget_vs_input', 'forget gap rain'), ('retain_drop_db', 'retain change noise25'),
        ('retain_drop_db', 'retain change haze'), ('retain_median_db', 'retain median noise25'),
        ('retain_median_db', 'retain median haze'), ('retain_collapsed_share', 'retain collapsed noise25'),
        ('retain_collapsed_share', 'retain collapsed haze'), ('membership_vs_chance', 'membership AUC gap'),
        ('verdict', 'verdict')]
    by_gold = {c['check']: c['met'] for c in report['checks']['unlearned']}
    assert rows[0]['gold'] == by_gold['forget gap rain']
    assert rows[1]['reference_free'] == rows[1]['gold']  # the retain check is the same check
    assert rows[-1]['reference_free'] == all(c['met'] for c in report['reference_free']['unlearned'])


def test_evaluate_without_retrained_prints_the_reference_free_verdict(tiny_data, tiny_pretrained, tmp_path,
                                                                      capsys):
    unlearned = tmp_path / 'unlearned.pth'
    torch.save({'params': net_from(tiny_pretrained, 0.9).state_dict()}, unlearned)
    opt = tmp_path / 'net.yml'
    opt.write_text(json.dumps({'network_g': TINY_NET}))
    out = tmp_path / 'report'
    code = cli_main(['evaluate', '--forget', 'rain', '--original', str(tiny_pretrained), '--unlearned',
                     f'mine={unlearned}', '--opt', str(opt), '--data', str(tiny_data), '--tasks', *TAGS,
                     '--split', 'val', '--out', str(out)])
    printed, errors = capsys.readouterr()
    assert code == 0, errors
    assert 'Reference-free verdict for mine' in printed and 'forgotten rain vs input' in printed
    assert 'Targets for mine' not in printed  # no retrained model, no gold-standard verdict
    saved = json.load(open(out / 'report.json'))
    assert 'retrained' not in saved['models'] and list(saved['reference_free']) == ['mine']


def agreement_script():
    spec = importlib.util.spec_from_file_location('reference_free_agreement',
                                                  os.path.join(REPO, 'benchmarks', 'reference_free_agreement.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agreement_script_backfills_old_reports_and_tallies(tiny_data, tiny_pretrained, tmp_path):
    weights = dict(original=str(tiny_pretrained), retrained=str(tmp_path / 'retrained.pth'),
                   unlearned=str(tmp_path / 'unlearned.pth'))
    torch.save({'params': build_network(dict(TINY_NET)).state_dict()}, weights['retrained'])
    torch.save({'params': net_from(tiny_pretrained, 0.9).state_dict()}, weights['unlearned'])
    networks = OrderedDict((label, net_from(path)) for label, path in weights.items())
    report = build_report(networks, 'rain', str(tiny_data), list(TAGS), split='val', weights=weights)
    new = tmp_path / 'new.json'
    new.write_text(json.dumps(report))
    for result in report['models'].values():  # as written before the reference-free verdict existed
        del result['membership_unseen']
    del report['reference_free']
    old = tmp_path / 'old.json'
    old.write_text(json.dumps(report))
    opt = tmp_path / 'net.yml'
    opt.write_text(json.dumps({'network_g': TINY_NET}))
    out = tmp_path / 'agreement.json'
    agreement_script().main([str(new), str(old), '--out', str(out), '--opt', str(opt)])
    data = json.load(open(out))
    half = len(data['rows']) // 2
    new_rows, old_rows = data['rows'][:half], data['rows'][half:]
    assert new_rows == old_rows  # the backfilled verdict is the one build_report gives
    verdict = data['tally']['verdict']
    assert verdict['cases'] == 2 and verdict['agree'] == 2 * (new_rows[-1]['reference_free'] == new_rows[-1]['gold'])
    assert data['tally']['retain_drop_db']['agree'] == data['tally']['retain_drop_db']['cases'] == 4
    assert list(data['by_benchmark']) == [os.path.basename(str(tiny_data))]
