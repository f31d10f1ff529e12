"""The shipped tiny models match their manifest, and the demo runs end to end (few steps here)."""
import json

import pytest

from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.tasks import TASK_GROUPS
from basicsr_unlearn.utils.hashing import sha256_file
from basicsr_unlearn.zoo import ZOOS, load_manifest, recipe_name, zoo_benchmark, zoo_models, zoo_weights


@pytest.fixture(scope='module')
def bench(mini_benchmark):
    return mini_benchmark


@pytest.mark.parametrize('benchmark', sorted(ZOOS))
def test_manifest_describes_every_shipped_model(benchmark):
    manifest = load_manifest(benchmark)
    assert set(manifest['models']) == set(zoo_models(benchmark))
    assert manifest['benchmark']['name'] == zoo_benchmark(benchmark)
    for name, entry in manifest['models'].items():
        arch = entry['network_g']['type']
        assert entry['recipe'] == f'options/train/{arch}/{recipe_name(name, benchmark)}.yml' and entry['steps'] > 0
        assert entry['wall_time_s'] > 0 and set(entry['test']) == {'noise15', 'noise25', 'noise50', 'rain', 'haze'}
        assert zoo_weights(name, benchmark).endswith(entry['file'])
        assert sha256_file(zoo_weights(name, benchmark)) == entry['sha256']
        assert entry['never_saw'] == zoo_models(benchmark)[name]


#: tasks on which a benchmark's shipped models gain less than 1 dB over the degraded input
#: (docs/RealData.md: the real-data models, trained about 10 minutes, restore Rain100L no better
#: than its input, though the all-in-one one clearly better than the model that never saw rain)
BELOW_INPUT = {'mini_allinone': (), 'real_mini': ('rain',), 'real_mini_adair': ('rain',)}


@pytest.mark.parametrize('benchmark', sorted(ZOOS))
def test_shipped_models_are_good_at_what_they_saw(benchmark):
    models = load_manifest(benchmark)['models']
    for name, entry in models.items():
        never_saw = TASK_GROUPS.get(entry['never_saw'], ())
        for task, score in entry['test'].items():
            if task in never_saw:  # clearly worse than the all-in-one model on the task it never saw
                assert score['psnr'] < models['allinone']['test'][task]['psnr'] - 1.0, (name, task)
            elif task in BELOW_INPUT[benchmark]:
                assert score['psnr'] < score['input_psnr'] + 1.0, (name, task)  # no longer? then update the docs
            else:
                assert score['psnr'] > score['input_psnr'] + 1.0, (name, task)  # a real gain over the input


@pytest.mark.slow
def test_zoo_check_reproduces_the_manifest(bench, capsys):
    assert cli(['zoo-check', '--data', str(bench / 'datasets' / 'mini_allinone')]) == 0
    assert 'zoo check: OK' in capsys.readouterr().out


@pytest.mark.slow
def test_demo_end_to_end(bench, monkeypatch, capsys):
    monkeypatch.chdir(bench)
    assert cli(['demo', '--steps', '3', '--out', 'runs']) == 0
    out = capsys.readouterr().out
    assert 'unlearned (ours)' in out and 'Report: runs/unlearn_rain_ours/report.md' in out
    assert 'forget gap rain' in out and 'time vs retraining' in out and 'targets met' in out  # the verdict
    report = json.loads((bench / 'runs/unlearn_rain_ours/report.json').read_text())
    assert list(report['models']) == ['original', 'retrained', 'unlearned (ours)']
    assert report['cost']['unlearned (ours)']['steps'] == 3
    assert (bench / 'runs/unlearn_rain_ours/report.png').is_file()


def test_zoo_specs_name_either_benchmark():
    from basicsr_unlearn.evaluation.networks import resolve_weights
    from basicsr_unlearn.utils import UserError
    assert resolve_weights('zoo:no_rain') == zoo_weights('no_rain')
    assert resolve_weights('zoo:real_mini/no_rain') == zoo_weights('no_rain', 'real_mini') != zoo_weights('no_rain')
    assert resolve_weights('zoo:real_mini_adair/no_haze') == zoo_weights('no_haze', 'real_mini_adair')
    with pytest.raises(UserError, match="no shipped zoo 'real'"):
        resolve_weights('zoo:real/no_rain')
    with pytest.raises(UserError, match="unknown zoo model 'no_rain' of real_mini_adair"):
        resolve_weights('zoo:real_mini_adair/no_rain')  # real rain is not learnt: nothing to forget


@pytest.mark.slow
def test_zoo_train_continues_over_sittings_and_keeps_what_it_finished(bench, tmp_path, monkeypatch):
    """A sitting that stops mid-model leaves no entry; the next one finishes it with the iterations and
    wall time of both; a third keeps it; a manifest of another benchmark is refused."""
    import shutil

    from basicsr_unlearn.runs import zoo_training
    from basicsr_unlearn.utils import UserError
    weights = tmp_path / 'net_g_latest.pth'
    shutil.copy(zoo_weights('allinone', 'mini_allinone'), weights)
    sittings = iter([dict(done=1000, wall_time_s=60.0, chunks=[{}]),
                     dict(done=2500, wall_time_s=150.0, chunks=[{}, {}], weights=str(weights))])
    calls = []
    monkeypatch.setattr(zoo_training, 'train_in_chunks', lambda *args: calls.append(args) or next(sittings))
    out, data = tmp_path / 'zoo', str(bench / 'datasets' / 'mini_allinone')
    assert zoo_training.train_zoo(str(out), data, ['allinone'], 1000, 1)['models'] == {}
    entry = zoo_training.train_zoo(str(out), data, ['allinone'], 1000, 1)['models']['allinone']
    assert (entry['steps'], entry['wall_time_s'], entry['chunks']) == (2500, 150.0, 2)
    shipped = load_manifest('mini_allinone')['models']['allinone']['test']
    assert all(abs(entry['test'][t]['psnr'] - shipped[t]['psnr']) < 1e-3 for t in shipped)  # its weights, scored
    assert len(calls) == 2 and calls[0][2:] == (1000, 1)
    zoo_training.train_zoo(str(out), data, ['allinone'])
    assert len(calls) == 2 and json.loads((out / 'manifest.json').read_text())['models']['allinone'] == entry
    manifest = json.loads((out / 'manifest.json').read_text())
    manifest['benchmark']['file_hash'] = 'another build'
    (out / 'manifest.json').write_text(json.dumps(manifest))
    with pytest.raises(UserError, match='not a zoo manifest of this benchmark'):
        zoo_training.train_zoo(str(out), data, ['allinone'])
    with pytest.raises(UserError, match='--zoo real_mini_adair was trained on real_mini, but --data holds '
                                        'mini_allinone'):
        zoo_training.train_zoo(str(tmp_path / 'adair'), data, zoo='real_mini_adair')
