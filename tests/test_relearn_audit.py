"""The relearning audit: every model fine-tuned with one fixed budget on a few forget pairs, and the
steps it needs to regain half of the original's gain on the forgotten task."""
import json

import cv2
import pytest

from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.evaluation.relearn_audit import steps_to_regain
from basicsr_unlearn.tasks import TASKS
from conftest import write_pairs


def test_steps_to_regain_is_the_first_recorded_step_at_the_target():
    curve = [[0, 20.0], [2, 21.0], [4, 22.5], [6, 22.0]]
    assert steps_to_regain(curve, 22.0) == 4
    assert steps_to_regain(curve, 20.0) == 0
    assert steps_to_regain(curve, 23.0) is None  # not within the budget


def test_evaluate_audits_relearning_of_the_shipped_original_and_retrained_models(mini_benchmark, monkeypatch,
                                                                                 capsys):
    monkeypatch.chdir(mini_benchmark)
    command = ['evaluate', '--forget', 'rain', '--retrained', 'zoo:no_rain', '--data', 'datasets/mini_allinone',
               '--audit', 'relearn']
    assert cli(command + ['--out', 'reports/one']) == 0
    out = capsys.readouterr().out
    assert 'Relearning audit (20 steps on 8 forget training pairs)' in out  # 8 of rain's 140 pairs
    audit = json.load(open(mini_benchmark / 'reports/one/report.json'))['audits']['relearn']
    original, retrained = audit['models']['original'], audit['models']['retrained']
    assert audit['original_psnr'] > audit['input_psnr'] + 2  # the shipped original derains: there is a gain to regain
    assert original['steps_to_regain'] == 0
    assert retrained['steps_to_regain'] is None or retrained['steps_to_regain'] > 0  # it never learned rain
    assert [step for step, _ in retrained['curve']] == list(range(0, 21, 2))
    assert retrained['curve'][-1][1] > retrained['curve'][0][1]  # fine-tuning on rain pairs teaches some rain
    assert '## Relearning audit (relearn.png)' in open(mini_benchmark / 'reports/one/report.md').read()
    assert cv2.imread(str(mini_benchmark / 'reports/one/relearn.png')) is not None

    assert cli(command + ['--out', 'reports/two']) == 0  # the same pairs, rate and seed: the same curves
    again = json.load(open(mini_benchmark / 'reports/two/report.json'))['audits']['relearn']
    assert again['models'] == audit['models']


def small_layout(root, splits=('train', 'val', 'test')):
    """Two 56-px pairs per task and split: a forget set smaller than the audit's eight crops."""
    for t, task in enumerate(TASKS):
        for s, split in enumerate(splits):
            write_pairs(str(root / task / split), 'rain', 2, 56, seed=10 * s + t)
    return root


def test_the_audit_says_how_many_training_pairs_its_crops_came_from(tmp_path, monkeypatch, capsys):
    small_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    assert cli(['evaluate', '--forget', 'rain', '--data', 'data', '--audit', 'relearn', '--out', 'report']) == 0
    assert 'Relearning audit (20 steps on 8 crops of 2 forget training pairs)' in capsys.readouterr().out
    assert 'fine-tuned on 8 crops of 2 forget training pairs' in (tmp_path / 'report/report.md').read_text()


def test_a_missing_val_split_is_named_before_the_evaluation(tmp_path, monkeypatch, capsys):
    from basicsr_unlearn.evaluation import reporting
    small_layout(tmp_path / 'data', splits=('train', 'test'))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(reporting, 'build_report', lambda *a, **k: pytest.fail('evaluated before the check'))
    assert cli(['evaluate', '--forget', 'rain', '--data', 'data', '--audit', 'relearn', '--out', 'report']) == 2
    err = capsys.readouterr().err
    assert 'data/rain/val/gt' in err and err.count('\n') == 1, err
