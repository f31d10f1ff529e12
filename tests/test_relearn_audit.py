"""The relearning audit: every model fine-tuned with one fixed budget on a few forget pairs, and the
steps it needs to regain half of the original's gain on the forgotten task."""
import json

import cv2

from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.evaluation.relearn_audit import steps_to_regain


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
    assert 'Relearning audit (20 steps on 8 forget pairs)' in out
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
