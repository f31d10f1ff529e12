"""ForgetRetainPairedDataset: every source type, determinism, sampling weights, errors."""
import os
import shutil

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from basicsr.data import build_dataset
from basicsr_unlearn.utils import OptionError
from conftest import source


def make(data, **opt):
    base = dict(name='t', type='ForgetRetainPairedDataset', phase='train', gt_size=32, seed=3,
                forget=source(data, 'rain'), retain=[source(data, 'noise25'), source(data, 'haze')])
    base.update(opt)
    return build_dataset(base)


def test_item_keys_shapes_and_tags(tiny_data):
    item = make(tiny_data)[0]
    for key in ('lq_forget', 'gt_forget', 'lq_retain', 'gt_retain'):
        assert item[key].shape == (3, 32, 32) and item[key].dtype == torch.float32
        assert 0 <= item[key].min() and item[key].max() <= 1
    assert item['tag_forget'] == 'rain' and item['tag_retain'] in ('noise25', 'haze')
    assert os.path.basename(item['lq_forget_path']) == os.path.basename(item['gt_forget_path'])
    assert item['tag_retain'] in item['gt_retain_path']


def test_length_is_the_forget_set(tiny_data):
    assert len(make(tiny_data)) == 8


@pytest.mark.parametrize('kind', ['folder', 'meta_info', 'lmdb'])
def test_source_types_read_the_same_pixels(tiny_data, kind):
    def src(tag):
        if kind == 'meta_info':
            return source(tiny_data, tag, meta_info_file=str(tiny_data / tag / 'train' / 'meta_info.txt'))
        if kind == 'lmdb':
            return dict(tag=tag, dataroot_gt=str(tiny_data / tag / 'train' / 'gt.lmdb'),
                        dataroot_lq=str(tiny_data / tag / 'train' / 'lq.lmdb'), io_backend=dict(type='lmdb'))
        return source(tiny_data, tag)

    reference = make(tiny_data, phase='val')[5]
    item = make(tiny_data, phase='val', forget=src('rain'), retain=[src('noise25'), src('haze')])[5]
    for key in ('lq_forget', 'gt_forget', 'lq_retain', 'gt_retain'):
        assert torch.equal(item[key], reference[key]), key


def test_val_phase_returns_whole_images(tiny_data):
    assert make(tiny_data, phase='val', gt_size=None)[0]['gt_forget'].shape == (3, 40, 40)


def test_deterministic_per_seed_epoch_and_index(tiny_data):
    a, b = make(tiny_data), make(tiny_data)
    assert torch.equal(a[2]['lq_forget'], b[2]['lq_forget'])
    assert not torch.equal(a[2]['lq_forget'], make(tiny_data, seed=4)[2]['lq_forget'])
    first = a[2]['lq_forget']
    a.set_epoch(1)
    assert not torch.equal(first, a[2]['lq_forget'])  # a new epoch draws new crops


def test_same_items_with_and_without_workers(tiny_data):
    dataset = make(tiny_data)
    dataset.set_epoch(2)
    in_process = [dataset[i]['lq_retain'] for i in range(len(dataset))]
    loader = DataLoader(dataset, batch_size=1, num_workers=2, shuffle=False)
    with_workers = [batch['lq_retain'][0] for batch in loader]
    assert all(torch.equal(x, y) for x, y in zip(in_process, with_workers))


def test_retain_weights(tiny_data):
    dataset = make(tiny_data, retain=[source(tiny_data, 'noise25', weight=3), source(tiny_data, 'haze', weight=1)])
    tags = []
    for epoch in range(50):
        dataset.set_epoch(epoch)
        tags += [dataset[i]['tag_retain'] for i in range(len(dataset))]
    share = tags.count('noise25') / len(tags)
    assert 0.65 < share < 0.85  # expected 0.75 over 400 draws
    only_haze = make(tiny_data, retain=[source(tiny_data, 'noise25', weight=0), source(tiny_data, 'haze')])
    assert {only_haze[i]['tag_retain'] for i in range(8)} == {'haze'}


def test_single_retain_mapping_and_gray(tiny_data):
    item = make(tiny_data, retain=source(tiny_data, 'haze'), color='gray')[0]
    assert item['lq_forget'].shape == (1, 32, 32) and item['tag_retain'] == 'haze'


def test_grey_files_become_three_channels(tiny_data, tmp_path):
    import cv2
    for sub in ('gt', 'lq'):
        os.makedirs(tmp_path / sub)
        img = cv2.imread(str(tiny_data / 'rain/train' / sub / 'rain_000.png'), cv2.IMREAD_GRAYSCALE)
        cv2.imwrite(str(tmp_path / sub / 'a.png'), img)
    grey = dict(tag='rain', dataroot_gt=str(tmp_path / 'gt'), dataroot_lq=str(tmp_path / 'lq'))
    item = make(tiny_data, forget=grey)[0]
    assert item['lq_forget'].shape == (3, 32, 32)
    assert torch.equal(item['lq_forget'][0], item['lq_forget'][1])


@pytest.mark.parametrize('clean', ['retain', 'forget'])
def test_forget_mix_moves_the_degradation_onto_another_clean_image(tiny_data, clean):
    whole = dict(gt_size=40, use_hflip=False, use_rot=False)  # no crop, no flips: images line up
    plain = make(tiny_data, **whole)
    mixed = make(tiny_data, forget_mix=1.0, forget_mix_clean=clean, **whole)
    for i in range(len(mixed)):
        item, own = mixed[i], plain[i]
        assert item['lq_forget_path'] == own['lq_forget_path']  # the pair's own degradation ...
        assert item['gt_forget_path'] != own['gt_forget_path']  # ... on another clean image
        from_forget = '/rain/' in item['gt_forget_path']
        assert from_forget == (clean == 'forget')
        expected = (item['gt_forget'] + own['lq_forget'] - own['gt_forget']).clamp(0, 1)
        assert torch.allclose(item['lq_forget'], expected, atol=1e-6)
    half = make(tiny_data, forget_mix=0.5, **whole)
    moved = sum(half[i]['gt_forget_path'] != plain[i]['gt_forget_path'] for i in range(len(half)))
    assert 0 < moved < len(half)


def expect_error(match, data, **opt):
    with pytest.raises(OptionError, match=match):
        make(data, **opt)[0]


def test_error_missing_folder(tiny_data):
    expect_error(r'datasets\.train\.forget\.dataroot_gt.*folder not found',
                 tiny_data, forget=dict(source(tiny_data, 'rain'), dataroot_gt='/nonexistent/gt'))


def test_error_missing_keys(tiny_data):
    expect_error(r'datasets\.train\.retain\[1\]\.tag.*required', tiny_data,
                 retain=[source(tiny_data, 'noise25'), dict(dataroot_gt='x', dataroot_lq='y')])
    expect_error(r'datasets\.train\.forget.*required', tiny_data, forget=None)
    expect_error(r'datasets\.train\.retain.*required', tiny_data, retain=[])
    expect_error(r'datasets\.train\.gt_size', tiny_data, gt_size=None)


def test_error_unequal_sets(tiny_data, tmp_path):
    shutil.copytree(tiny_data / 'rain/train', tmp_path / 'rain')
    os.remove(tmp_path / 'rain/lq/rain_003.png')
    broken = dict(tag='rain', dataroot_gt=str(tmp_path / 'rain/gt'), dataroot_lq=str(tmp_path / 'rain/lq'))
    expect_error(r'forget\.dataroot_lq.*do not match.*rain_003\.png', tiny_data, forget=broken)


def test_error_size_mismatch(tiny_data, tmp_path):
    import cv2
    shutil.copytree(tiny_data / 'rain/train', tmp_path / 'rain')
    lq = cv2.imread(str(tmp_path / 'rain/lq/rain_000.png'))
    cv2.imwrite(str(tmp_path / 'rain/lq/rain_000.png'), lq[:30])
    broken = dict(tag='rain', dataroot_gt=str(tmp_path / 'rain/gt'), dataroot_lq=str(tmp_path / 'rain/lq'))
    expect_error(r'forget\.dataroot_lq.*same size', tiny_data, forget=broken)


def test_error_empty_source(tiny_data, tmp_path):
    os.makedirs(tmp_path / 'gt')
    os.makedirs(tmp_path / 'lq')
    empty = dict(tag='haze', dataroot_gt=str(tmp_path / 'gt'), dataroot_lq=str(tmp_path / 'lq'))
    expect_error(r'retain\[0\].*no image pairs', tiny_data, retain=[empty])


def test_error_image_smaller_than_gt_size(tiny_data):
    expect_error(r'gt_size.*64 is larger than image', tiny_data, gt_size=64)


def test_error_lmdb_without_meta_info(tiny_data, tmp_path):
    shutil.copytree(tiny_data / 'rain/train/gt.lmdb', tmp_path / 'gt.lmdb')
    os.remove(tmp_path / 'gt.lmdb/meta_info.txt')
    broken = dict(tag='rain', dataroot_gt=str(tmp_path / 'gt.lmdb'),
                  dataroot_lq=str(tiny_data / 'rain/train/lq.lmdb'), io_backend=dict(type='lmdb'))
    expect_error(r'forget\.dataroot_gt.*no meta_info\.txt', tiny_data, forget=broken)


def test_error_missing_meta_info_file_and_bad_weight(tiny_data):
    expect_error(r'forget\.meta_info_file.*not found', tiny_data,
                 forget=source(tiny_data, 'rain', meta_info_file='/nonexistent/meta.txt'))
    expect_error(r'retain\[0\]\.weight', tiny_data, retain=[source(tiny_data, 'haze', weight=-1)])
    expect_error(r'io_backend\.type', tiny_data, forget=source(tiny_data, 'rain', io_backend=dict(type='s3')))
    expect_error(r'datasets\.train\.forget_mix.*probability in \[0, 1\]', tiny_data, forget_mix=1.5)
    expect_error(r'datasets\.train\.forget_mix_clean', tiny_data, forget_mix=1.0, forget_mix_clean='noise')


def test_builds_from_basicsr_registry_with_numpy_seed_untouched(tiny_data):
    state = np.random.get_state()[1].copy()
    make(tiny_data)[0]
    assert np.array_equal(state, np.random.get_state()[1])  # draws come from its own generator


def test_names_and_exclude_split_one_source_into_deleted_and_kept(tiny_data):
    names = sorted(os.listdir(tiny_data / 'rain' / 'train' / 'gt'))
    list_file = tiny_data / 'deleted.txt'
    list_file.write_text(f'{names[1]}\n{names[4]}\n')
    data = make(tiny_data, forget=source(tiny_data, 'rain', names=str(list_file)),
                retain=[source(tiny_data, 'rain', exclude=[names[1], names[4]]), source(tiny_data, 'haze')])
    assert len(data) == 2
    assert [os.path.basename(gt) for _, gt in data.forget[0].pairs] == [names[1], names[4]]
    assert len(data.retain[0]) == 6 and names[1] not in str(data.retain[0].pairs)
    lmdb = dict(tag='rain', dataroot_gt=str(tiny_data / 'rain/train/gt.lmdb'),
                dataroot_lq=str(tiny_data / 'rain/train/lq.lmdb'), io_backend=dict(type='lmdb'), names=[names[1]])
    assert len(make(tiny_data, forget=lmdb)) == 1


def test_error_forget_and_retain_share_an_image(tiny_data):
    names = sorted(os.listdir(tiny_data / 'rain' / 'train' / 'gt'))
    with pytest.raises(OptionError, match=rf'retain\[0\].*{names[0]}.*is also in datasets\.train\.forget'):
        make(tiny_data, forget=source(tiny_data, 'rain', names=names[:2]),
             retain=[source(tiny_data, 'rain', exclude=names[1:2])])
    with pytest.raises(OptionError, match=r'forget\.names.*not in source `rain`.*nope\.png'):
        make(tiny_data, forget=source(tiny_data, 'rain', names=['nope.png']))
    with pytest.raises(OptionError, match=r'reference.*also in'):
        make(tiny_data, reference=source(tiny_data, 'haze'))


def test_reference_pairs_ride_along(tiny_data):
    item = make(tiny_data, reference=source(tiny_data, 'rain', 'val'))[3]
    assert item['lq_reference'].shape == item['gt_reference'].shape == (3, 32, 32)
    assert 'lq_reference' not in make(tiny_data)[3]
