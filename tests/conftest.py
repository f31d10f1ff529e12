"""Small synthetic data, tiny networks and option files that the tests build themselves."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

import basicsr
import basicsr_unlearn  # noqa: F401  (registers the plugin)
from basicsr.utils.lmdb_util import make_lmdb_from_imgs
from basicsr_unlearn.prepare.degradations import degrade

#: files the tests ship (reference outputs, an authors'-format checkpoint); found from here, not from the cwd
DATA = Path(__file__).resolve().parent / 'data'
TAGS = ('rain', 'noise25', 'haze')
# heavy streaks for `rain`, so that even the tiny test network clearly learns to remove them
DEGRADATION_OF = {'rain': 'rain_heavy', 'noise25': 'noise25', 'haze': 'haze'}
TINY_NET = dict(type='SRVGGNetCompact_basicsr', num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=1,
                act_type='prelu')


@pytest.fixture(scope='session', autouse=True)
def score_cache_of_this_session(tmp_path_factory):
    """Scores kept by the evaluation (``score_cache``) go to this session's folder, for the
    subprocesses too: tests start cold and leave nothing in the user's cache."""
    from basicsr_unlearn.evaluation.score_cache import ENV
    os.environ[ENV] = str(tmp_path_factory.mktemp('score_cache'))


def smooth_image(rng, size):
    """A clean test image: smooth colours plus a few sharp rectangles (edges to restore)."""
    img = cv2.resize(rng.random((5, 5, 3)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    for _ in range(3):
        y, x = rng.integers(0, size - 8, 2)
        img[y:y + rng.integers(4, 12), x:x + rng.integers(4, 12)] = rng.random(3)
    return np.clip(img, 0, 1)


def write_pairs(root, tag, count, size, seed):
    """``root/gt`` and ``root/lq`` PNG pairs of one degradation; returns the names."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, 'gt'), exist_ok=True)
    os.makedirs(os.path.join(root, 'lq'), exist_ok=True)
    names = []
    for i in range(count):
        gt = smooth_image(rng, size)
        lq = degrade(gt, DEGRADATION_OF[tag], rng)
        name = f'{tag}_{i:03d}.png'
        for sub, img in (('gt', gt), ('lq', lq)):
            pixels = cv2.cvtColor((img * 255).round().astype(np.uint8), cv2.COLOR_RGB2BGR)
            cv2.imwrite(os.path.join(root, sub, name), pixels)
        names.append(name)
    return names


def write_lmdb(folder, names, lmdb_path):
    make_lmdb_from_imgs(folder, lmdb_path, names, [os.path.splitext(n)[0] for n in names], n_thread=1)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """Per tag: train (8 pairs, 40x40) and val (2 pairs), as folders, meta_info and LMDB."""
    root = tmp_path_factory.mktemp('tiny_data')
    for t, tag in enumerate(TAGS):
        for split, count, seed in (('train', 8, 10 + t), ('val', 2, 100 + t)):
            folder = root / tag / split
            names = write_pairs(str(folder), tag, count, 40, seed)
            (folder / 'meta_info.txt').write_text(''.join(f'{n} (40,40,3) 1\n' for n in names))
            if split == 'train':
                write_lmdb(str(folder / 'gt'), names, str(folder / 'gt.lmdb'))
                write_lmdb(str(folder / 'lq'), names, str(folder / 'lq.lmdb'))
    return root


def source(root, tag, split='train', **extra):
    return dict(tag=tag, dataroot_gt=str(root / tag / split / 'gt'), dataroot_lq=str(root / tag / split / 'lq'),
                **extra)


@pytest.fixture(scope='session')
def tiny_pretrained(tmp_path_factory, tiny_data):
    """A tiny all-in-one model trained briefly on all three tasks (BasicSR `params` file)."""
    from basicsr.archs import build_network
    torch.manual_seed(0)
    net = build_network(dict(TINY_NET))
    pairs = []
    for tag in TAGS:
        folder = tiny_data / tag / 'train'
        for name in sorted(os.listdir(folder / 'gt')):
            gt, lq = (cv2.imread(str(folder / sub / name))[..., ::-1] / 255.0 for sub in ('gt', 'lq'))
            pairs.append(tuple(torch.tensor(img.copy()).permute(2, 0, 1).float() for img in (lq, gt)))
    lq = torch.stack([p[0] for p in pairs])
    gt = torch.stack([p[1] for p in pairs])
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(150):
        optimizer.zero_grad()
        loss = (net(lq) - gt).abs().mean()
        loss.backward()
        optimizer.step()
    path = tmp_path_factory.mktemp('pretrained') / 'tiny_allinone.pth'
    torch.save({'params': net.state_dict()}, path)
    return path


def unlearn_options(data, pretrained, name='tiny_unlearn_rain', total_iter=4, batch=4, **train_extra):
    """An option dict using all three plugin classes on the tiny data."""
    train = dict(
        ema_decay=0,
        optim_g=dict(type='Adam', lr='1e-3', betas=[0.9, 0.99]),  # the string '1e-3' on purpose: YAML writes 1e-3
        scheduler=dict(type='MultiStepLR', milestones=[1000], gamma=0.5),
        total_iter=total_iter,
        warmup_iter=-1,
        pixel_opt=dict(type='L1Loss', loss_weight=1.0),
        forget_opt=dict(type='AscentLoss', criterion='l1', bound='input', loss_weight=1.0),
        adversarial_opt=dict(loss_weight=1.0, norm='linf', eps=0.0157, steps=1),
    )
    train.update(train_extra)
    return dict(
        name=name, model_type='AdversarialRetainModel', scale=1, num_gpu=0, manual_seed=0,
        datasets=dict(
            train=dict(name='tiny_forget_retain', type='ForgetRetainPairedDataset',
                       forget=source(data, 'rain'), retain=[source(data, 'noise25'), source(data, 'haze')],
                       gt_size=32, use_hflip=True, use_rot=True, num_worker_per_gpu=0, batch_size_per_gpu=batch,
                       dataset_enlarge_ratio=1, prefetch_mode=None),
            val_forget_rain=dict(name='val_forget_rain', type='PairedImageDataset', io_backend=dict(type='disk'),
                                 dataroot_gt=str(data / 'rain/val/gt'), dataroot_lq=str(data / 'rain/val/lq')),
            val_retain_noise25=dict(name='val_retain_noise25', type='PairedImageDataset',
                                    io_backend=dict(type='disk'), dataroot_gt=str(data / 'noise25/val/gt'),
                                    dataroot_lq=str(data / 'noise25/val/lq')),
        ),
        network_g=dict(TINY_NET),
        path=dict(pretrain_network_g=str(pretrained), strict_load_g=True, resume_state=None),
        train=train,
        val=dict(val_freq=total_iter, save_img=False,
                 metrics=dict(psnr=dict(type='calculate_psnr', crop_border=0, test_y_channel=False),
                              ssim=dict(type='calculate_ssim', crop_border=0, test_y_channel=False))),
        logger=dict(print_freq=1, save_checkpoint_freq=total_iter, use_tb_logger=False),
        dist_params=dict(backend='nccl', port=29500),
    )


def write_options(path, opt):
    text = yaml.safe_dump(opt, sort_keys=False).replace("'1e-3'", '1e-3')
    path.write_text(text)
    return path


def run(cmd, cwd, timeout=300, env_extra=None):
    """Run a command; on failure show its output in the assertion."""
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1', **(env_extra or {}))
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, \
        f'{cmd} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}'
    return result


PYTHON = sys.executable
BASICSR_TRAIN = os.path.join(os.path.dirname(basicsr.__file__), 'train.py')
TORCHRUN = [PYTHON, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2']


def trained_weights(cwd, name, tag='latest'):
    """The ``params`` BasicSR saved for experiment ``name`` under ``cwd``."""
    return torch.load(cwd / 'experiments' / name / 'models' / f'net_g_{tag}.pth', weights_only=True)['params']


@pytest.fixture(scope='session')
def mini_benchmark(tmp_path_factory):
    """The real mini benchmark, built once per session (``<root>/datasets/mini_allinone``)."""
    from basicsr_unlearn.prepare.mini_benchmark import build_mini_benchmark
    root = tmp_path_factory.mktemp('mini')
    build_mini_benchmark(str(root / 'datasets' / 'mini_allinone'), quiet=True)
    return root
