"""Evaluation: the same numbers as BasicSR's validation, membership AUC, gaps, report files."""
import json
import os
import shutil

import cv2
import numpy as np
import pytest
import torch

from basicsr.archs import build_network
from basicsr.data import build_dataloader, build_dataset
from basicsr.models import build_model
from basicsr_unlearn.evaluation.acceptance import acceptance_checks, format_checks
from basicsr_unlearn.evaluation.membership import auc
from basicsr_unlearn.evaluation.report_writer import format_table, write_report
from basicsr_unlearn.evaluation.restoration_metrics import evaluate_network, paired_sources
from basicsr_unlearn.evaluation.unlearning_report import build_report
from basicsr_unlearn.utils.checkpoint import load_weights
from conftest import TINY_NET, TAGS

METRICS = dict(psnr=dict(type='calculate_psnr', crop_border=0, test_y_channel=False),
               ssim=dict(type='calculate_ssim', crop_border=0, test_y_channel=False))


def net_from(path):
    net = build_network(dict(TINY_NET))
    load_weights(net, str(path))
    return net.eval()


def test_numbers_equal_basicsr_validation(tiny_data, tiny_pretrained, tmp_path):
    ours = evaluate_network(net_from(tiny_pretrained), paired_sources(str(tiny_data), ['haze'], 'val'))['haze']
    opt = dict(name='v', model_type='SRModel', scale=1, num_gpu=0, is_train=False, dist=False, rank=0,
               network_g=dict(TINY_NET), path=dict(pretrain_network_g=str(tiny_pretrained), strict_load_g=True,
                                                   visualization=str(tmp_path)),
               val=dict(save_img=False, metrics=METRICS))
    model = build_model(opt)
    dataset_opt = dict(name='haze', type='PairedImageDataset', phase='val', scale=1, io_backend=dict(type='disk'),
                       dataroot_gt=str(tiny_data / 'haze/val/gt'), dataroot_lq=str(tiny_data / 'haze/val/lq'))
    loader = build_dataloader(build_dataset(dataset_opt), dataset_opt, num_gpu=0, dist=False)
    model.validation(loader, current_iter=0, tb_logger=None, save_img=False)
    assert ours['psnr'] == pytest.approx(model.metric_results['psnr'], abs=1e-9)
    assert ours['ssim'] == pytest.approx(model.metric_results['ssim'], abs=1e-9)


def test_scores_are_computed_once_per_weights_and_data(tiny_data, tiny_pretrained, tmp_path, monkeypatch):
    """Kept by content: the same weights and data are not scored again (in memory or on disk), other
    weights, a changed image or changed code are; SSIM-less requests are served by scores with SSIM."""
    from basicsr_unlearn.evaluation import restoration_metrics, score_cache
    monkeypatch.setenv(score_cache.ENV, str(tmp_path / 'cache'))
    monkeypatch.setattr(score_cache, '_memory', {})
    computed = []
    compute = restoration_metrics.compute_image_scores
    monkeypatch.setattr(restoration_metrics, 'compute_image_scores',
                        lambda *args: computed.append(args[5]) or compute(*args))
    data = tmp_path / 'data'
    shutil.copytree(tiny_data / 'haze', data / 'haze')
    net = net_from(tiny_pretrained)

    def score(with_ssim=True):
        source = paired_sources(str(data), ['haze'], 'val')['haze']
        return restoration_metrics.image_scores(net, source, with_ssim=with_ssim)
    first = score()
    assert score() == first and score(with_ssim=False) == first and computed == [True]
    monkeypatch.setattr(score_cache, '_memory', {})  # a new process: read back from disk
    assert score() == first and computed == [True] and len(os.listdir(tmp_path / 'cache')) == 1
    with torch.no_grad():
        next(net.parameters())[0] += 0.01  # trained further: other weights
    assert score() != first and computed == [True, True]
    image = sorted((data / 'haze/val/lq').iterdir())[0]
    image.write_bytes(sorted((data / 'haze/val/lq').iterdir())[1].read_bytes())  # another image under its name
    score(with_ssim=False)
    assert computed == [True, True, False]
    monkeypatch.setenv(score_cache.ENV, 'off')
    monkeypatch.setattr(score_cache, '_memory', {})
    score()
    assert computed == [True, True, False, True] and len(os.listdir(tmp_path / 'cache')) == 3
    monkeypatch.setenv(score_cache.ENV, str(tmp_path / 'cache'))
    monkeypatch.setattr(score_cache, '_memory', {})
    score(with_ssim=False)
    assert computed == [True, True, False, True]  # read back from disk
    monkeypatch.setattr(score_cache, 'source_fingerprint', lambda: 'an edited architecture')
    score(with_ssim=False)
    assert computed == [True, True, False, True, False]  # edited code, same version string: scored again


@pytest.mark.parametrize('edit', ['raise_a_psnr', 'empty_list', 'foreign_dict', 'another_keys_record', 'nan',
                                  'truncated'])
def test_a_cache_record_that_does_not_hold_is_discarded_and_scored_again(
        tiny_data, tiny_pretrained, tmp_path, monkeypatch, capsys, edit):
    """A record edited by hand (3 dB added to a score, then its file), of the wrong shape, or moved
    under another key is never used: one warning line, the true scores, and the record rewritten."""
    from basicsr_unlearn.evaluation import restoration_metrics, score_cache
    monkeypatch.setenv(score_cache.ENV, str(tmp_path / 'cache'))
    monkeypatch.setattr(score_cache, '_memory', {})
    net = net_from(tiny_pretrained)
    sources = paired_sources(str(tiny_data), ['haze', 'rain'], 'val')
    truth = restoration_metrics.image_scores(net, sources['haze'])
    restoration_metrics.image_scores(net, sources['rain'])
    haze_key, rain_key = (score_cache.score_keys(net, sources[t], [dict(crop_border=0, test_y_channel=False,
                                                                        with_ssim=True)])[0] for t in ('haze', 'rain'))
    path = tmp_path / 'cache' / f'{haze_key}.json'
    record = json.loads(path.read_text())
    if edit == 'raise_a_psnr':
        record['scores'][0]['psnr'] += 3
    elif edit == 'another_keys_record':
        record = json.loads((tmp_path / 'cache' / f'{rain_key}.json').read_text())
    elif edit == 'nan':
        record['scores'][0]['mse'] = float('nan')
        record['sha256'] = score_cache.scores_sha256(record['scores'])  # consistent, but not finite
    elif edit == 'truncated':
        record['scores'] = record['scores'][:1]
        record['sha256'] = score_cache.scores_sha256(record['scores'])
    else:
        record = [] if edit == 'empty_list' else {'a': 1}
    path.write_text(json.dumps(record))
    monkeypatch.setattr(score_cache, '_memory', {})  # a new process reads the disk
    capsys.readouterr()
    assert restoration_metrics.image_scores(net, sources['haze']) == truth
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and f'score cache: {path}:' in err and 'discarded, scoring again' in err, err
    assert json.loads(path.read_text())['scores'] == truth  # rewritten with the true scores


def test_checks_never_read_the_score_cache(tiny_data, tiny_pretrained, monkeypatch):
    from basicsr_unlearn.evaluation import restoration_metrics
    monkeypatch.setattr(restoration_metrics, 'load_scores', lambda *a: pytest.fail('a check read the cache'))
    monkeypatch.setattr(restoration_metrics, 'store_scores', lambda *a: pytest.fail('a check wrote the cache'))
    scores = evaluate_network(net_from(tiny_pretrained), paired_sources(str(tiny_data), ['haze'], 'val'), cache=False)
    assert scores['haze']['count'] == 2


def test_auc():
    assert auc([3, 4, 5], [0, 1, 2]) == 1.0 and auc([0, 1], [2, 3]) == 0.0
    assert auc([1, 2], [1, 2]) == 0.5
    rng = np.random.default_rng(0)
    assert abs(auc(rng.normal(size=2000), rng.normal(size=2000)) - 0.5) < 0.03
    with pytest.raises(ValueError):
        auc([], [1])


@pytest.fixture(scope='module')
def report(tiny_data, tiny_pretrained):
    original = net_from(tiny_pretrained)
    retrained = build_network(dict(TINY_NET)).eval()  # stand-in: a model that never learnt anything
    unlearned = net_from(tiny_pretrained)
    with torch.no_grad():
        for p in unlearned.parameters():
            p.mul_(0.9)
    networks = {'original': original, 'retrained': retrained, 'unlearned': unlearned}
    return networks, build_report(networks, 'rain', str(tiny_data), list(TAGS), split='val',
                                  non_member_splits=('val',),
                                  costs={'unlearned': dict(wall_time_s=3.0, steps=6, retrain_time_s=300.0,
                                                           time_fraction=0.01)})


def test_gaps_are_consistent(report):
    _, rep = report
    gaps, models = rep['gaps'], rep['models']
    assert gaps['retrained']['avg_gap'] == 0 and gaps['retrained']['forget_gap'] == {'rain': 0.0}
    assert gaps['unlearned']['forget_gap']['rain'] == pytest.approx(
        abs(models['unlearned']['tasks']['rain']['psnr'] - models['retrained']['tasks']['rain']['psnr']))
    assert gaps['original']['retain_change'] == {'noise25': 0.0, 'haze': 0.0}
    assert rep['models']['original']['membership']['members'] == 8  # the rain training pairs
    assert rep['models']['original']['membership']['non_members'] == 2


def test_report_files_and_no_training_images(report, tiny_data, tmp_path):
    networks, rep = report
    path = write_report(rep, str(tmp_path), networks, paired_sources(str(tiny_data), ['rain', 'haze'], 'val'))
    text = open(path).read()
    assert 'Avg. Gap' in text and '| unlearned |' in text and '1.0% of the retrained' in text
    assert '- targets met by **unlearned** (against the retrained model): ' in text
    assert '- reference-free checks met by **unlearned** (no retrained model needed): ' in text
    saved = json.load(open(tmp_path / 'report.json'))
    assert saved['gaps']['unlearned']['avg_gap'] == pytest.approx(rep['gaps']['unlearned']['avg_gap'])
    with_grid = cv2.imread(str(tmp_path / 'report.png'))
    write_report(rep, str(tmp_path))  # bars only: no networks at hand
    bars_only = cv2.imread(str(tmp_path / 'report.png'))
    assert bars_only.shape[1] == with_grid.shape[1] and with_grid.shape[0] > bars_only.shape[0] + 200
    assert (bars_only < 128).mean() > 0.01  # axes, bars and text were drawn on the white page
    everything = text + json.dumps(saved)
    assert str(tiny_data / 'rain' / 'train') not in everything  # no forget training file is named
    table = format_table(rep)
    lines = table.splitlines()
    assert lines[0].startswith('model') and lines[-1].startswith('degraded input')
    first = rep['tasks'][0]  # every row's cells line up under the header, the longer 'degraded input' too
    column = lines[0].index(f'{first} PSNR')
    assert lines[-1][column:].startswith(f"{rep['input_psnr'][first]:.2f}/-")
    assert all(line[column - 2:column] == '  ' for line in lines[2:])


def test_acceptance_checks_state_the_verdict():
    gap = dict(forget_gap={'rain': 0.4}, retain_change={'noise25': -0.25, 'haze': 0.3}, mia_gap=0.05)
    checks = acceptance_checks(gap, dict(time_fraction=0.06))
    verdict = {c['check']: c['met'] for c in checks}
    assert verdict == {'forget gap rain': True, 'retain change noise25': False, 'retain change haze': True,
                       'membership AUC gap': True, 'time vs retraining': False}
    text = format_checks(checks)
    noise25 = next(line for line in text.splitlines() if 'noise25' in line)
    assert '-0.25 dB' in noise25 and '>= -0.20 dB' in noise25 and noise25.endswith('MISSED')
    assert text.count('MISSED') == 2
    assert text.endswith('3 of 5 targets met')
    assert [c['check'] for c in acceptance_checks(gap)][-1] == 'membership AUC gap'  # no cost, no time check


def test_report_carries_the_checks(report):
    _, rep = report
    assert list(rep['checks']) == ['unlearned']  # the references are not judged
    by_name = {c['check']: c for c in rep['checks']['unlearned']}
    assert by_name['forget gap rain']['met'] == (rep['gaps']['unlearned']['forget_gap']['rain'] <= 0.5)
    assert by_name['time vs retraining']['met'] and by_name['time vs retraining']['measured'] == '1.0%'
