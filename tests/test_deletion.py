"""Deletion requests: the deleted / retained / unseen evaluation and its checks."""
import os
from collections import OrderedDict

import pytest

from basicsr_unlearn.evaluation.deletion_report import (deletion_checks, deletion_gaps, evaluate_deletion,
                                                        format_deletion_table)
from basicsr_unlearn.evaluation.networks import network_from_weights
from conftest import TINY_NET


def result(deleted_psnr, test_psnr, auc, interval=(0.3, 0.7)):
    return dict(groups=dict(deleted=dict(psnr=deleted_psnr)), task_psnr=OrderedDict(test_psnr),
                membership=dict(deleted_vs_unseen=dict(auc=auc, interval=list(interval))))


def test_checks_against_the_retrained_model_and_without_it():
    original = result(30.0, dict(rain=27.0, haze=21.0), 0.80, (0.65, 0.9))
    retrained = result(27.5, dict(rain=26.9, haze=21.0), 0.52)
    good = result(27.8, dict(rain=26.9, haze=20.9), 0.55)
    rows = {r['check']: r['met'] for r in deletion_checks(good, original, retrained)}
    assert rows == {'deleted vs retrained': True, 'test change rain': True, 'test change haze': True,
                    'membership AUC gap': True}
    bad = result(29.0, dict(rain=26.5, haze=21.0), 0.75, (0.6, 0.88))  # still member-like, rain lost 0.5 dB
    rows = {r['check']: r['met'] for r in deletion_checks(bad, original, retrained)}
    assert rows == {'deleted vs retrained': False, 'test change rain': False, 'test change haze': True,
                    'membership AUC gap': False}
    free = {r['check']: r['met'] for r in deletion_checks(bad, original)}
    assert free == {'test change rain': False, 'test change haze': True, 'deleted vs unseen AUC': False}
    assert {r['check']: r['met'] for r in deletion_checks(good, original)}['deleted vs unseen AUC']


def test_deletion_gaps_average_the_distances_to_the_retrained_model():
    retrained = result(27.5, dict(rain=26.9, haze=21.0), 0.52)
    unlearned = result(28.5, dict(rain=26.4, haze=21.0), 0.62)
    gaps = deletion_gaps(OrderedDict(retrained=retrained, unlearned=unlearned))
    assert gaps['unlearned']['gaps'] == pytest.approx(dict(deleted=1.0, rain=0.5, haze=0.0, membership=10.0))
    assert gaps['unlearned']['avg_gap'] == pytest.approx(11.5 / 4)
    assert gaps['retrained']['avg_gap'] == 0


def test_evaluation_groups_and_table(tiny_data, tiny_pretrained):
    names = sorted(os.listdir(tiny_data / 'rain' / 'train' / 'gt'))[:3]
    net = network_from_weights(str(tiny_pretrained), dict(TINY_NET))[0]
    results = evaluate_deletion(OrderedDict(original=net, retrained=net), str(tiny_data), 'rain', names,
                                tasks=('rain', 'haze'), unseen_split='val')
    groups = results['original']['groups']
    assert [groups[g]['count'] for g in ('deleted', 'retained', 'unseen')] == [3, 5, 2]
    assert results['original']['task_psnr']['rain'] == pytest.approx(groups['unseen']['psnr'])
    membership = results['original']['membership']['deleted_vs_unseen']
    assert 0 <= membership['interval'][0] <= membership['auc'] <= membership['interval'][1] <= 1
    table = format_deletion_table(dict(task='rain', models=results))
    assert 'deleted (3)' in table and 'retained (5)' in table and 'unseen (2)' in table and 'haze' in table


@pytest.mark.slow
def test_shipped_deletion_files_split_rain_as_the_request_says(mini_benchmark):
    """options/unlearn/PromptIR/delete_rain20_promptir_tiny.yml deletes exactly the request's 20
    images and retains the other 120; the retrained reference's recipe trains on those 120 alone."""
    from basicsr.data import build_dataset
    from basicsr_unlearn.data.paired_source import PairedSource
    from basicsr_unlearn.tasks import DELETIONS, MINI_ROOT
    from basicsr_unlearn.utils.options import rebase_dataroots, shipped_option
    root = str(mini_benchmark / 'datasets' / 'mini_allinone')
    task, names = DELETIONS['rain20']
    deletion = shipped_option('unlearn/PromptIR/delete_rain20_promptir_tiny.yml')
    train = rebase_dataroots(deletion, root, MINI_ROOT)['datasets']['train']
    data = build_dataset(dict(train, phase='train', seed=0))
    assert sorted(os.path.basename(gt) for _, gt in data.forget[0].pairs) == sorted(names)
    kept = [s for s in data.retain if s.tag == task]
    assert len(kept) == 1 and len(kept[0]) == 120 and len(data.reference_index) == 12
    recipe = rebase_dataroots(shipped_option('train/PromptIR/promptir_tiny_no_rain20.yml'), root,
                              MINI_ROOT)['datasets']['train']
    rain = [PairedSource(s, 'recipe') for s in recipe['sources'] if s['tag'] == task]
    assert len(rain[0]) == 120 and not set(names) & {os.path.basename(gt) for _, gt in rain[0].pairs}


@pytest.mark.slow  # trains through BasicSR's loop and evaluates three models on the mini benchmark
def test_demo_deletes_twenty_rain_images_in_one_command(mini_benchmark, monkeypatch, capsys):
    import json
    from basicsr_unlearn.cli import main as cli
    monkeypatch.chdir(mini_benchmark)
    assert cli(['demo', '--delete', 'rain20', '--steps', '3', '--out', 'deletion']) == 0
    out = capsys.readouterr().out
    assert 'deleted (20)' in out and 'retained (120)' in out and 'unseen (24)' in out
    for label in ('original', 'retrained', 'unlearned (ours)'):
        assert f'\n{label} ' in out
    report = json.loads((mini_benchmark / 'deletion/delete_rain20_ours/report.json').read_text())
    checks = [c['check'] for c in report['checks']['unlearned (ours)']]
    assert checks[0] == 'deleted vs retrained' and 'test change rain' in checks and 'membership AUC gap' in checks
