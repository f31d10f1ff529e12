"""The mini benchmark (built from scikit-image's photographs) and the real-data conversion."""
import json
import os

import cv2
import numpy as np
import pytest

from basicsr.data import build_dataset
from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.prepare.mini_benchmark import COUNTS, SOURCES, TASKS, build_mini_benchmark
from basicsr_unlearn.prepare.stamped_folder import read_stamp
from basicsr_unlearn.prepare.real_datasets import prepare_real
from basicsr_unlearn.utils import ExistingFileError, MissingFileError, UserError


@pytest.fixture(scope='module')
def mini(mini_benchmark):
    return mini_benchmark / 'datasets' / 'mini_allinone'


def test_layout_counts_and_disjoint_sources(mini):
    for task in TASKS:
        for split, count in COUNTS.items():
            folder = mini / task / split
            assert len(os.listdir(folder / 'gt')) == len(os.listdir(folder / 'lq')) == count
            assert len((folder / 'meta_info.txt').read_text().splitlines()) == count
            assert (folder / 'gt.lmdb' / 'meta_info.txt').is_file()
    assert not set(SOURCES['train']) & set(SOURCES['test']) and not set(SOURCES['val']) & set(SOURCES['test'])


def test_tasks_have_disjoint_clean_images(mini):
    def hashes(task):
        return {cv2.imread(str(p)).tobytes() for p in (mini / task / 'train' / 'gt').iterdir()}
    assert hashes('noise15') == hashes('noise50')  # the noise levels share clean crops, as BSD400 does
    assert not hashes('rain') & hashes('haze') and not hashes('rain') & hashes('noise15')


def test_idempotent_deterministic_and_never_touches_other_folders(mini, tmp_path):
    stamp = read_stamp(str(mini))
    assert build_mini_benchmark(str(mini), quiet=True)['file_hash'] == stamp['file_hash']
    from basicsr_unlearn.zoo import load_manifest
    assert load_manifest()['benchmark']['file_hash'] == stamp['file_hash']  # the same bytes as where the zoo was made
    (tmp_path / 'mine').mkdir()
    (tmp_path / 'mine' / 'keep.txt').write_text('user data')
    with pytest.raises(FileExistsError, match='not a mini benchmark'):
        build_mini_benchmark(str(tmp_path / 'mine'), quiet=True)
    assert (tmp_path / 'mine' / 'keep.txt').read_text() == 'user data'
    with pytest.raises(FileExistsError, match='other settings'):
        build_mini_benchmark(str(mini), seed=1, quiet=True)


def test_degradations_are_visible(mini):
    def mean_abs(task):
        folder = mini / task / 'test'
        return np.mean([np.abs(cv2.imread(str(folder / 'lq' / n)).astype(float) - cv2.imread(str(folder / 'gt' / n)))
                        .mean() for n in os.listdir(folder / 'gt')])
    assert mean_abs('noise50') > mean_abs('noise25') > mean_abs('noise15') > 5
    assert mean_abs('rain') > 2 and mean_abs('haze') > 10


@pytest.mark.parametrize('backend', ['disk', 'lmdb'])
def test_basicsr_and_our_datasets_read_it(mini, backend):
    def roots(task, split):
        suffix = '.lmdb' if backend == 'lmdb' else ''
        return dict(dataroot_gt=str(mini / task / split / f'gt{suffix}'),
                    dataroot_lq=str(mini / task / split / f'lq{suffix}'), io_backend=dict(type=backend))
    paired = build_dataset(dict(name='p', type='PairedImageDataset', phase='val', scale=1, **roots('rain', 'test')))
    assert len(paired) == COUNTS['test'] and paired[0]['lq'].shape == (3, 96, 96)
    ours = build_dataset(dict(name='u', type='ForgetRetainPairedDataset', phase='train', gt_size=48,
                              forget=dict(tag='rain', **roots('rain', 'train')),
                              retain=[dict(tag=t, **roots(t, 'train')) for t in ('noise25', 'haze')]))
    assert len(ours) == COUNTS['train'] and ours[3]['lq_retain'].shape == (3, 48, 48)


def test_prepare_data_command(mini, capsys):
    assert cli(['prepare-data', '--root', str(mini)]) == 0  # already there: nothing to do
    assert 'already built' in capsys.readouterr().out
    assert json.loads((mini / 'benchmark.json').read_text())['tasks'] == list(TASKS)


def fake_authors_layout(root):
    """A few small images in the PromptIR/AdaIR folder layout."""
    rng = np.random.default_rng(0)

    def img(path, shape=(32, 40, 3)):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cv2.imwrite(str(path), rng.integers(0, 255, shape, dtype=np.uint8))

    for name in ('a.png', 'b.bmp', 'c.jpg'):
        img(root / 'Train' / 'Denoise' / name)
    for i in (1, 2):
        img(root / 'Train' / 'Derain' / 'rainy' / f'rain-{i}.png')
        img(root / 'Train' / 'Derain' / 'gt' / f'norain-{i}.png')
    img(root / 'Train' / 'Dehaze' / 'original' / '0025.jpg')
    for beta in ('0.04', '0.06'):
        img(root / 'Train' / 'Dehaze' / 'synthetic' / 'part1' / f'0025_0.8_{beta}.jpg')
    img(root / 'test' / 'denoise' / 'bsd68' / 'x.png')
    for sub in ('input', 'target'):
        img(root / 'test' / 'derain' / 'Rain100L' / sub / 'r1.png')
    img(root / 'test' / 'dehaze' / 'input' / '0001_0.8_0.2.jpg')
    img(root / 'test' / 'dehaze' / 'target' / '0001.png')


def test_prepare_real_converts_the_authors_layout(tmp_path):
    fake_authors_layout(tmp_path / 'authors')
    out = tmp_path / 'allinone'
    prepare_real(str(tmp_path / 'authors' / 'Train'), str(tmp_path / 'authors' / 'test'), str(out), lmdb=True)
    assert sorted(os.listdir(out / 'noise25' / 'train' / 'lq')) == ['a.png', 'b.png', 'c.png']
    clean = cv2.imread(str(out / 'noise25' / 'train' / 'gt' / 'b.png')).astype(float)
    noisy = cv2.imread(str(out / 'noise25' / 'train' / 'lq' / 'b.png')).astype(float)
    assert 15 < (noisy - clean).std() < 30  # sigma 25, some clipping of random pixels
    assert sorted(os.listdir(out / 'haze' / 'train' / 'gt')) == ['0025_0p8_0p04.jpg', '0025_0p8_0p06.jpg']
    assert os.listdir(out / 'haze' / 'test' / 'gt') == ['0001_0p8_0p2.jpg']
    assert sorted(os.listdir(out / 'rain' / 'train' / 'gt')) == ['rain-1.png', 'rain-2.png']
    first = (out / 'noise50' / 'train' / 'lq' / 'a.png').read_bytes()
    stamp = prepare_real(str(tmp_path / 'authors' / 'Train'), str(tmp_path / 'authors' / 'test'), str(out),
                         lmdb=True)  # rerun: no-op
    assert (out / 'noise50' / 'train' / 'lq' / 'a.png').read_bytes() == first and stamp == read_stamp(out)
    with pytest.raises(ExistingFileError, match='lmdb differ'):
        prepare_real(str(tmp_path / 'authors' / 'Train'), str(tmp_path / 'authors' / 'test'), str(out))
    for task in ('noise15', 'rain', 'haze'):
        for split in ('train', 'test'):
            dataset = build_dataset(dict(name='p', type='PairedImageDataset', phase='val', scale=1,
                                         dataroot_gt=str(out / task / split / 'gt.lmdb'),
                                         dataroot_lq=str(out / task / split / 'lq.lmdb'), io_backend=dict(type='lmdb')))
            assert dataset[0]['gt'].shape == dataset[0]['lq'].shape


def test_prepare_real_names_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match='Denoise'):
        prepare_real(str(tmp_path / 'nothing'), str(tmp_path / 'nothing'), str(tmp_path / 'out'))


def test_prepare_real_refuses_a_folder_it_did_not_build(tmp_path):
    """The user's gt a.png must not get an lq made from the authors' a.png beside it."""
    fake_authors_layout(tmp_path / 'authors')
    out = tmp_path / 'allinone'
    mine = out / 'noise15' / 'train' / 'gt'
    mine.mkdir(parents=True)
    (mine / 'a.png').write_bytes(b'mine')
    with pytest.raises(ExistingFileError, match='allinone exists'):
        prepare_real(str(tmp_path / 'authors' / 'Train'), str(tmp_path / 'authors' / 'test'), str(out))
    assert os.listdir(out) == ['noise15'] and os.listdir(mine) == ['a.png']
    assert (mine / 'a.png').read_bytes() == b'mine'


def test_prepare_real_is_complete_or_absent(tmp_path):
    fake_authors_layout(tmp_path / 'authors')
    os.remove(tmp_path / 'authors' / 'Train' / 'Derain' / 'gt' / 'norain-2.png')
    with pytest.raises(MissingFileError, match='norain-2.png'):
        prepare_real(str(tmp_path / 'authors' / 'Train'), str(tmp_path / 'authors' / 'test'), str(tmp_path / 'out'))
    assert os.listdir(tmp_path) == ['authors']  # no half-built output, no temporary folder


def test_prepare_real_refuses_two_images_of_one_name(tmp_path):
    """'a.png' and 'a.jpg' both become gt/a.png; keeping only one of them would be silent."""
    fake_authors_layout(tmp_path / 'authors')
    denoise = tmp_path / 'authors' / 'Train' / 'Denoise'
    (denoise / 'a.jpg').write_bytes((denoise / 'c.jpg').read_bytes())
    with pytest.raises(UserError, match=r'Denoise/a\.png would become .*noise15/train/gt/a\.png, which another'):
        prepare_real(str(tmp_path / 'authors' / 'Train'), str(tmp_path / 'authors' / 'test'), str(tmp_path / 'out'))


def test_prepare_real_names_a_listed_hazy_image_that_is_missing(tmp_path):
    fake_authors_layout(tmp_path / 'authors')
    hazy_list = tmp_path / 'hazy_outside.txt'
    hazy_list.write_text('synthetic/part1/0025_0.8_0.04.jpg\nsynthetic/part1/0025_0.8_0.99.jpg\n')
    with pytest.raises(MissingFileError, match=r'0025_0\.8_0\.99\.jpg not found'):
        prepare_real(str(tmp_path / 'authors' / 'Train'), str(tmp_path / 'authors' / 'test'), str(tmp_path / 'out'),
                     hazy_list=str(hazy_list))
