"""The embedded mini all-in-one benchmark: real photographs shipped inside scikit-image,
cut into crops, with synthetic noise (sigma 15/25/50), rain streaks and haze.

Layout (BasicSR's)::

    datasets/mini_allinone/
      benchmark.json                      what was built, with a hash of every file
      <task>/<split>/{gt,lq}/NNNN.png     task in noise15 noise25 noise50 rain haze
      <task>/<split>/meta_info.txt        BasicSR meta_info (name (h,w,c) 1)
      <task>/<split>/{gt,lq}.lmdb         LMDB copies (basicsr.utils.lmdb_util)

Source photographs are split by image, so train, val and test never share one. The
three noise levels share their clean crops (as BSD400 does); rain and haze have
their own, so every task's clean images are disjoint from the other tasks'.
"""
import contextlib
import os
from os import path as osp

import cv2
import numpy as np
from tqdm import tqdm

from ..tasks import MINI_BENCHMARK, MINI_ROOT, SPLITS, TASKS
from ..utils import MissingFileError
from .degradations import degrade
from .stamped_folder import build_stamped

VERSION = 3
CLEAN_POOL = {'noise15': 'noise', 'noise25': 'noise', 'noise50': 'noise', 'rain': 'rain', 'haze': 'haze'}
SOURCES = {  # scikit-image's bundled photographs (file names in skimage/data)
    'train': ['chelsea.png', 'motorcycle_left.png', 'motorcycle_right.png', 'hubble_deep_field.jpg', 'ihc.png',
              'brick.png', 'gravel.png', 'moon.png', 'cell.png', 'clock_motion.png', 'color.png', 'retina.jpg'],
    'val': ['rocket.jpg', 'grass.png'],
    'test': ['astronaut.png', 'coffee.png', 'camera.png', 'coins.png'],
}
COUNTS = {'train': 140, 'val': 12, 'test': 24}  # crops per task and split
CROP = 96
MIN_STD = 0.04  # skip flat crops (sky, black borders)


def skimage_data_dir():
    import skimage
    return osp.join(osp.dirname(skimage.__file__), 'data')


def load_rgb(name):
    """A bundled photograph as float32 RGB in [0, 1] (grey ones get three equal channels)."""
    path = osp.join(skimage_data_dir(), name)
    img = cv2.imread(path, cv2.IMREAD_COLOR)  # BGR; grey files are expanded, alpha dropped
    if img is None:
        raise MissingFileError(f'scikit-image photograph missing: {path}')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def crops_of(img, size=CROP):
    h, w = img.shape[:2]
    for top in range(0, h - size + 1, size):
        for left in range(0, w - size + 1, size):
            crop = img[top:top + size, left:left + size]
            if crop.std() >= MIN_STD:
                yield crop


def clean_pools(split, seed):
    """Disjoint clean crops per pool (noise, rain, haze) for one split."""
    crops = [c for name in SOURCES[split] for c in crops_of(load_rgb(name))]
    order = np.random.default_rng((seed, SPLITS.index(split))).permutation(len(crops))
    pools = {'noise': [], 'rain': [], 'haze': []}
    for i, index in enumerate(order):
        pool = list(pools)[i % 3]
        if len(pools[pool]) < COUNTS[split]:
            pools[pool].append(crops[index])
    short = {k: len(v) for k, v in pools.items() if len(v) < COUNTS[split]}
    if short:
        raise RuntimeError(f'not enough {split} crops in the bundled photographs: {short}')
    return pools


def write_png(path, img):
    cv2.imwrite(path, cv2.cvtColor((np.clip(img, 0, 1) * 255).round().astype(np.uint8), cv2.COLOR_RGB2BGR))


def _write_split(root, task, split, clean, seed):
    from basicsr.utils.lmdb_util import make_lmdb_from_imgs
    folder = osp.join(root, task, split)
    names = []
    for sub in ('gt', 'lq'):
        os.makedirs(osp.join(folder, sub))
    for i, gt in enumerate(clean):
        rng = np.random.default_rng((seed, TASKS.index(task), SPLITS.index(split), i))
        name = f'{i:04d}.png'
        write_png(osp.join(folder, 'gt', name), gt)
        write_png(osp.join(folder, 'lq', name), degrade(gt, task, rng))
        names.append(name)
    with open(osp.join(folder, 'meta_info.txt'), 'w') as f:
        f.writelines(f'{n} ({CROP},{CROP},3) 1\n' for n in names)
    with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        for sub in ('gt', 'lq'):  # BasicSR's utility prints a line and a bar per image
            make_lmdb_from_imgs(osp.join(folder, sub), osp.join(folder, f'{sub}.lmdb'), names,
                                [osp.splitext(n)[0] for n in names], n_thread=1)


def describe(seed):
    return dict(name=MINI_BENCHMARK, version=VERSION, seed=seed, tasks=list(TASKS), sources=SOURCES, counts=COUNTS,
                crop=CROP)


def build_mini_benchmark(root=MINI_ROOT, seed=0, quiet=False):
    """Build the benchmark under ``root`` unless the same one is already there.

    Never touches a folder it did not build (``stamped_folder.build_stamped``).
    Returns the benchmark description (with its file hash).
    """
    import logging
    logging.getLogger('basicsr').setLevel(logging.WARNING)  # lmdb_util logs each image

    def fill(folder):
        jobs = [(task, split) for split in COUNTS for task in TASKS]
        pools = {split: clean_pools(split, seed) for split in COUNTS}
        for task, split in tqdm(jobs, desc='mini benchmark', unit='set', disable=quiet):
            _write_split(folder, task, split, pools[split][CLEAN_POOL[task]], seed)

    stamp, built = build_stamped(root, describe(seed), fill, 'mini benchmark')
    if not quiet:
        print(f'{root}: built {len(TASKS)} tasks x {list(COUNTS)} ({stamp["file_hash"][:12]}).' if built else
              f'{root}: already built ({stamp["file_hash"][:12]}).')
    return stamp
