"""Reading the public releases' layouts, and the real mini protocol built from them.

The sources here are small stand-ins written by the tests in the releases' own folder
layouts and naming; no downloaded dataset is needed."""
import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.evaluation.membership import allowed_non_member_splits
from basicsr_unlearn.prepare import public_layouts as layouts
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.prepare.real_mini import CROP, HAZE_VERSIONS, VAL_COUNT, build_real_mini
from basicsr_unlearn.tasks import SPLITS, TASKS
from basicsr_unlearn.utils import MissingFileError, UserError


def write(path, rng, size=(128, 144), channels=3):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shape = size if channels == 1 else size + (channels,)
    cv2.imwrite(str(path), rng.integers(0, 256, shape, dtype=np.uint8))


SCENES = 30  # the haze val split holds out 24 of them


def release_tree(root, seed=0):
    """A stand-in for BSDS500/, Rain100L/, Sun_Hays80/ and SOTS/ as released (tiny images)."""
    rng = np.random.default_rng(seed)
    for split, count in (('train', 12), ('val', 5), ('test', 3)):
        for i in range(count):
            write(root / 'BSDS500' / 'images' / split / f'{split}{i}.jpg', rng)
    (root / 'BSDS500' / 'cbsd68_names.txt').write_text('val0\nval3\nval4\n')
    for split, count in (('train', 13), ('test', 4)):
        for i in range(1, count + 1):  # the RCDNet release: both sides named norain-N.png
            for side in ('rain', 'norain'):
                write(root / 'Rain100L' / split / 'small' / side / f'norain-{i}.png', rng)
    for i in range(SCENES):
        write(root / 'Sun_Hays80' / f'scene{i}_sun.jpg', rng, size=(100, 150))  # scaled up to the crop
    write(root / 'SOTS' / 'outdoor' / 'haze' / '0001_0.8_0.2.jpg', rng)
    write(root / 'SOTS' / 'outdoor' / 'clear' / '0001.png', rng)
    write(root / 'SOTS' / 'HSTS' / 'haze' / '8180.jpg', rng)
    write(root / 'SOTS' / 'HSTS' / 'clear' / '8180.jpg', rng)
    return root


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    return release_tree(tmp_path_factory.mktemp('release'))


@pytest.fixture(scope='module')
def real_mini(release, tmp_path_factory):
    out = tmp_path_factory.mktemp('built') / 'real_mini'
    build_real_mini(str(release), str(out), quiet=True)
    return out


def test_rain100l_layouts(tmp_path):
    rng = np.random.default_rng(1)
    for i in (1, 2):  # the PromptIR/AdaIR layout: rainy/rain-N.png with gt/norain-N.png
        write(tmp_path / 'authors' / 'rainy' / f'rain-{i}.png', rng)
        write(tmp_path / 'authors' / 'gt' / f'norain-{i}.png', rng)
    pairs = layouts.rain100l_pairs(str(tmp_path / 'authors'))
    assert [(n, Path(lq).name, Path(gt).name) for n, lq, gt in pairs] == [
        ('norain-1', 'rain-1.png', 'norain-1.png'), ('norain-2', 'rain-2.png', 'norain-2.png')]
    write(tmp_path / 'authors' / 'rainy' / 'rain-3.png', rng)
    with pytest.raises(MissingFileError, match=r'rain-3\.png has no clean partner'):
        layouts.rain100l_pairs(str(tmp_path / 'authors'))
    for name in ('norain-1.png', 'norain-2.png'):  # RCDNet: equal names in rain/ and norain/, no small/
        write(tmp_path / 'rcdnet' / 'rain' / name, rng)
        write(tmp_path / 'rcdnet' / 'norain' / name, rng)
    write(tmp_path / 'rcdnet' / 'norain' / 'norain-9.png', rng)
    with pytest.warns(UserWarning, match=r'1 image\(s\) .* have no input'):
        assert len(layouts.rain100l_pairs(str(tmp_path / 'rcdnet'))) == 2


def test_reside_pairs_grey_alpha_and_size_mismatch(tmp_path):
    rng = np.random.default_rng(2)
    write(tmp_path / 'sots' / 'haze' / '0025_0.8_0.04.jpg', rng)
    write(tmp_path / 'sots' / 'clear' / '0025.png', rng)
    [(name, lq, gt)] = layouts.reside_pairs(str(tmp_path / 'sots'))
    assert name == '0025_0p8_0p04' and Path(gt).name == '0025.png'  # one dot: LMDB keys stay distinct
    write(tmp_path / 'hsts' / 'haze' / '8180.jpg', rng)
    write(tmp_path / 'hsts' / 'clear' / '8180.jpg', rng)
    cv2.imwrite(str(tmp_path / 'hsts' / 'clear' / '8180.png'), rng.integers(0, 256, (128, 144, 4), dtype=np.uint8))
    os.remove(tmp_path / 'hsts' / 'clear' / '8180.jpg')
    [(_, lq, gt)] = layouts.reside_pairs(str(tmp_path / 'hsts'))
    with pytest.warns(UserWarning, match=r'8180\.png: alpha channel dropped'):
        assert layouts.read_pair(lq, gt)[1].shape == (128, 144, 3)
    write(tmp_path / 'grey.png', rng, channels=1)
    with pytest.warns(UserWarning, match=r'grey\.png: grey image'):
        assert layouts.read_image(str(tmp_path / 'grey.png')).shape == (128, 144, 3)
    write(tmp_path / 'big.png', rng, size=(30, 144))
    with pytest.raises(UserError, match=r'different sizes: .*big\.png is 144x30, .*grey\.png is 144x128'), \
            pytest.warns(UserWarning, match='grey image'):
        layouts.read_pair(str(tmp_path / 'big.png'), str(tmp_path / 'grey.png'))
    write(tmp_path / 'lonely' / 'haze' / '0002_0.9_0.1.jpg', rng)
    write(tmp_path / 'lonely' / 'clear' / '0003.png', rng)
    with pytest.raises(MissingFileError, match=r'0002_0\.9_0\.1\.jpg has no clear image 0002'):
        layouts.reside_pairs(str(tmp_path / 'lonely'))


def test_real_mini_layout_counts_and_stamp(real_mini, release):
    stamp = json.loads((real_mini / 'benchmark.json').read_text())
    haze = (HAZE_VERSIONS['train'] * (SCENES - VAL_COUNT['haze']), HAZE_VERSIONS['val'] * VAL_COUNT['haze'], 2)
    expected = {'noise15': (12 - VAL_COUNT['noise'], VAL_COUNT['noise'], 3), 'rain': (13 - VAL_COUNT['rain'],
                VAL_COUNT['rain'], 4), 'haze': haze}
    for task, counts in expected.items():
        assert tuple(stamp['counts'][task][s] for s in SPLITS) == counts
    for task in TASKS:
        for split in SPLITS:
            folder = real_mini / task / split
            assert sorted(os.listdir(folder / 'gt')) == sorted(os.listdir(folder / 'lq'))  # BasicSR's pairing
            assert len((folder / 'meta_info.txt').read_text().splitlines()) == stamp['counts'][task][split]
    assert stamp['name'] == 'real_mini' and stamp['preset'] == 'allinone-mini' and len(stamp['file_hash']) == 64
    assert {cv2.imread(str(p)).shape for p in real_mini.glob('*/*/*/*.png')} == {(CROP, CROP, 3)}
    assert 'synthetic' in stamp['sources']['haze'] and set(stamp['split_hashes']) == {
        f'{t}/{s}' for t in TASKS for s in SPLITS}
    assert sorted(os.listdir(real_mini / 'haze' / 'test' / 'gt')) == ['hsts_8180.png', 'sots_0001_0p8_0p2.png']
    assert sorted(p.stem for p in (real_mini / 'noise25' / 'test' / 'gt').iterdir()) == ['val0', 'val3', 'val4']
    # membership: haze's real test pairs are no non-members of its synthetic training pairs; its val scenes are
    assert stamp['non_member_splits']['haze'] == ['val'] and stamp['non_member_splits']['noise25'] == ['val', 'test']
    assert allowed_non_member_splits(str(real_mini), 'haze', ('test',)) == ['val']
    assert allowed_non_member_splits(str(real_mini), 'noise25', ('test',)) == ['test']


def test_real_mini_val_is_held_out_and_noise_is_fixed(real_mini, release, tmp_path):
    def clean_images(task, split):  # by content: Rain100L's train and test reuse the names norain-N
        return {cv2.imread(str(p)).tobytes() for p in (real_mini / task / split / 'gt').iterdir()}

    for task, group in (('noise15', 'noise'), ('rain', 'rain'), ('haze', 'haze')):
        train, val, test = (clean_images(task, split) for split in SPLITS)
        assert len(val) == VAL_COUNT[group]
        assert not train & val and not val & test and not train & test
    assert not clean_images('noise15', 'train') & clean_images('rain', 'train')
    stamp = open_benchmark(str(real_mini))
    again = build_real_mini(str(release), str(tmp_path / 'again'), quiet=True)
    assert again['file_hash'] == stamp['file_hash']  # noise and haze drawn once, from the seed
    with pytest.raises(FileExistsError, match='other settings'):
        build_real_mini(str(release), str(real_mini), seed=1, quiet=True)
    (tmp_path / 'copied').mkdir()  # a stamp copied into a folder that holds nothing else is not the protocol
    shutil.copy(real_mini / 'benchmark.json', tmp_path / 'copied' / 'benchmark.json')
    with pytest.raises(FileExistsError, match=r'copied: its files are not those its benchmark\.json records'):
        build_real_mini(str(release), str(tmp_path / 'copied'), quiet=True)


def test_prepare_real_command_checks_its_arguments(tmp_path, capsys):
    assert cli(['prepare-real', '--preset', 'allinone-mini', '--out', str(tmp_path / 'x')]) == 2
    assert 'takes --src' in capsys.readouterr().err
    assert cli(['prepare-real', '--out', str(tmp_path / 'x')]) == 2
    assert "--preset allinone-mini --src DIR, or the authors'" in capsys.readouterr().err
    assert cli(['prepare-real', '--preset', 'allinone-mini', '--src', str(tmp_path / 'nothing'),
                '--out', str(tmp_path / 'x')]) == 2
    assert 'BSDS500 train: folder not found' in capsys.readouterr().err
    assert not (tmp_path / 'x').exists()
    small = release_tree(tmp_path / 'small')
    write(small / 'Rain100L' / 'test' / 'small' / 'norain' / 'norain-2.png', np.random.default_rng(0), size=(100, 144))
    write(small / 'Rain100L' / 'test' / 'small' / 'rain' / 'norain-2.png', np.random.default_rng(0), size=(100, 144))
    with pytest.raises(UserError, match=r'norain-2\.png: 144x100 is smaller than the 128x128 crop'):
        build_real_mini(str(small), str(tmp_path / 'y'), quiet=True)
    assert not (tmp_path / 'y').exists()
    with pytest.raises(MissingFileError, match='prepare-real --preset allinone-mini'):
        open_benchmark(str(tmp_path / 'datasets' / 'real_mini'))


@pytest.mark.slow
def test_demo_and_seeded_benchmark_use_the_real_zoo(real_mini, tmp_path, monkeypatch, capsys):
    from basicsr_unlearn.zoo import zoo_weights
    monkeypatch.chdir(tmp_path)
    assert cli(['demo', '--data', str(real_mini), '--steps', '2', '--out', 'runs']) == 0
    report = json.loads((tmp_path / 'runs' / 'unlearn_rain_ours' / 'report.json').read_text())
    assert report['title'] == 'demo, ours, real_mini'
    assert report['weights']['retrained'] == zoo_weights('no_rain', 'real_mini')  # the real zoo, not the mini one
    assert report['weights']['original'] == zoo_weights('allinone', 'real_mini') and report['split'] == 'test'
    assert cli(['benchmark', '--data', str(real_mini), '--task', 'haze', '--methods', 'ours', 'paper', '--lrs',
                '1e-4', '1e-3', '--seeds', '0', '1', '--steps', '1', '--out', 'bench']) == 0
    folder = tmp_path / 'bench' / 'forget_haze'
    rows = json.loads((folder / 'val_sweep.json').read_text())
    assert [(r['method'], r['lr'], r['seed']) for r in rows][:4] == [
        ('ours', 1e-4, 0), ('ours', 1e-4, 1), ('ours', 1e-3, 0), ('ours', 1e-3, 1)]
    summary = json.loads((folder / 'summary.json').read_text())
    assert summary['benchmark'] == 'real_mini' and summary['seeds'] == [0, 1]
    assert list(summary['models']) == ['original', 'retrained', 'ours s0', 'ours s1', 'paper s0', 'paper s1']
    for method in ('ours', 'paper'):  # the lr with the lowest mean val Avg. Gap is the one tested, all its seeds
        means = {lr: np.mean([r['val_avg_gap'] for r in rows if r['method'] == method and r['lr'] == lr])
                 for lr in (1e-4, 1e-3)}
        assert summary['methods'][method]['lr'] == min(means, key=means.get)
        assert len(summary['methods'][method]['avg_gap']['values']) == 2
    assert summary['command'].endswith('--methods ours paper --lrs 0.0001 0.001 --steps 1 --seeds 0 1')
    assert {c['method'] for c in summary['compared_to_ours']} == {'paper'}
    # the runs chosen on val are the ones tested, on the test split, and only they get checks
    report = json.loads((folder / 'report.json').read_text())
    assert report['split'] == 'test' and list(report['models']) == list(summary['models'])
    assert list(report['checks']) == ['ours s0', 'ours s1', 'paper s0', 'paper s1']
    for method in ('ours', 'paper'):
        kept = [r for r in rows if r['method'] == method and r['lr'] == summary['methods'][method]['lr']]
        assert [report['weights'][f'{method} s{r["seed"]}'] for r in kept] == [r['weights'] for r in kept]
    assert {r['steps'] for r in rows} == {1}
    assert 'original (no unlearning)     val Avg. Gap' in capsys.readouterr().out
    assert (folder / 'report.md').is_file() and (folder / 'report.png').is_file()
