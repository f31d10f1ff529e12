"""The real mini all-in-one protocol (``prepare-real --preset allinone-mini``).

From a folder laid out as the public releases are (``BSDS500/``, ``Rain100L/``,
``Sun_Hays80/``, ``SOTS/{outdoor,HSTS}/``) it builds BasicSR's layout
``<out>/<task>/<split>/{gt,lq}/<name>.png`` (+ ``meta_info.txt``) for the five tasks and
train/val/test, and ``benchmark.json`` (sources, counts, seeds, what is synthetic, hashes).
"Mini" is the image size: every pair is its central ``CROP`` x ``CROP`` crop, cut after the
degradation is made (so noise and rain keep their statistics): a tiny PromptIR takes about
1.2 s per full 481x321 image on 2 CPU cores, and a comparison evaluates hundreds of images
per model. Its PSNRs are therefore not those of the papers' full-image tables.

- noise15/25/50: train = BSDS500 ``train`` (200 photographs) less ``VAL_COUNT['noise']``
  held out for val; test = CBSD68 (68, from BSDS500 ``val``). Noise is drawn once, seeded
  by (seed, sigma, image name).
- rain: Rain100L train (200 pairs) less ``VAL_COUNT['rain']`` held out for val; test =
  Rain100L test (100).
- haze: synthesised (``degradations.add_haze``) on Sun-Hays scene photographs scaled to a
  short side of ``CROP`` (the crop then spans the scene's height), ``HAZE_VERSIONS`` hazy
  versions per scene; scenes split between train and val; test = the real RESIDE pairs,
  SOTS-outdoor and HSTS.

Membership is judged against non-members made exactly as the training pairs were
(``NON_MEMBER_SPLITS``, stamped into ``benchmark.json``): noise and rain val and test images come
from the training images' own source and degradation; haze test pairs are real and its training
pairs synthetic, so haze's non-members are its val scenes, held out of training and hazed as the
training scenes are (24 scenes, 48 pairs: as many as 80 scenes allow while training keeps 56).

No clean training image is in two tasks: Rain100L's training clean images are BSDS500's
``test`` images, which the noise tasks do not use. Val images are never test images.
Every image is re-encoded as 3-channel PNG (alpha dropped, grey expanded, with a
warning naming the file). Sources are only read.
"""
import zlib
from os import path as osp

import cv2
import numpy as np
from tqdm import tqdm

from ..tasks import REAL_MINI_ROOT, SPLITS, TASK_GROUPS, TASKS
from ..utils import MissingFileError, UserError
from . import public_layouts as layouts
from .degradations import add_gaussian_noise, add_haze
from .stamped_folder import build_stamped, file_hash

PRESET = 'allinone-mini'
NAME = 'real_mini'
VERSION = 2
VAL_COUNT = {'noise': 8, 'rain': 10, 'haze': 24}
CROP = 128  # divisible by 8, as PromptIR's encoder needs
HAZE_VERSIONS = {'train': 2, 'val': 2}
SIGMAS = {task: int(task[len('noise'):]) for task in TASK_GROUPS['noise']}  # noise15 -> 15
SOURCES = {  # task -> split -> what it is made from, relative to --src
    'noise': {'train': 'BSDS500/images/train less the val images', 'val': 'BSDS500/images/train (held out)',
              'test': 'CBSD68: BSDS500/images/val, names in BSDS500/cbsd68_names.txt',
              'synthetic': 'AWGN clip(clean + N(0, sigma^2)) on 0..255, drawn once per (seed, sigma, name)'},
    'rain': {'train': 'Rain100L/train less the val pairs', 'val': 'Rain100L/train (held out)',
             'test': 'Rain100L/test', 'synthetic': 'no (the Rain100L release)'},
    'haze': {'train': f'Sun_Hays80 scenes, short side scaled to {CROP}', 'val': 'Sun_Hays80 scenes (held out)',
             'test': 'SOTS/outdoor + SOTS/HSTS (real RESIDE test pairs)',
             'synthetic': 'train and val: I = J t + A (1 - t), t = exp(-beta d), depth d a proxy '
                          '(prepare/degradations.py); test: RESIDE\'s own'},
}


#: task -> the splits made as its training pairs, which alone may be the membership attack's non-members
NON_MEMBER_SPLITS = dict({task: ('val', 'test') for task in TASKS}, haze=('val',))


def _held_out(items, count, seed, what):
    """(train, val): ``count`` items drawn by a seeded permutation for val, the rest for train."""
    if len(items) <= count:
        raise MissingFileError(f'{what}: {len(items)} images, need more than the {count} held out for val.')
    order = np.random.default_rng((seed, zlib.crc32(what.encode()))).permutation(len(items))
    val = sorted(order[:count])
    return [items[i] for i in sorted(order[count:])], [items[i] for i in val]


def _stem(path):
    return osp.splitext(osp.basename(path))[0]


def central_crop(img, size=CROP):
    """The central ``size`` x ``size`` region (``_write`` checks the image is that large, naming the file)."""
    top, left = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
    return img[top:top + size, left:left + size]


def _write(folder, split_dir, name, lq, gt, source):
    if min(gt.shape[:2]) < CROP:
        raise UserError(f'{source}: {gt.shape[1]}x{gt.shape[0]} is smaller than the {CROP}x{CROP} crop of the '
                        f'{PRESET} preset.')
    for sub, img in (('lq', lq), ('gt', gt)):
        cv2.imwrite(osp.join(folder, split_dir, sub, f'{name}.png'), central_crop(img))


def _noise_split(folder, split, clean_paths, seed):
    for path in tqdm(clean_paths, desc=f'noise {split}', unit='img', leave=False):
        gt = layouts.read_image(path)
        rgb = cv2.cvtColor(gt, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        for task, sigma in SIGMAS.items():
            rng = np.random.default_rng((seed, sigma, zlib.crc32(_stem(path).encode())))
            noisy = (add_gaussian_noise(rgb, sigma, rng) * 255).round().astype(np.uint8)
            _write(folder, osp.join(task, split), _stem(path), cv2.cvtColor(noisy, cv2.COLOR_RGB2BGR), gt, path)


def _pair_split(folder, task, split, pairs, prefix=''):
    for name, lq_path, gt_path in tqdm(pairs, desc=f'{task} {split}', unit='img', leave=False):
        lq, gt = layouts.read_pair(lq_path, gt_path)
        _write(folder, osp.join(task, split), prefix + name, lq, gt, gt_path)


def _haze_split(folder, split, scenes, seed):
    for path in tqdm(scenes, desc=f'haze {split}', unit='img', leave=False):
        img = layouts.read_image(path)
        scale = CROP / min(img.shape[:2])
        img = cv2.resize(img, (max(CROP, round(img.shape[1] * scale)), max(CROP, round(img.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
        img = central_crop(img)  # haze is made on what is kept: its depth proxy spans the crop
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        for version in range(HAZE_VERSIONS[split]):
            rng = np.random.default_rng((seed, version, zlib.crc32(_stem(path).encode())))
            hazy = (add_haze(rgb, rng) * 255).round().astype(np.uint8)
            _write(folder, osp.join('haze', split), f'{_stem(path)}_h{version}', cv2.cvtColor(hazy, cv2.COLOR_RGB2BGR),
                   img, path)


def _meta_info(folder):
    for task in TASKS:
        for split in SPLITS:
            gt_dir = osp.join(folder, task, split, 'gt')
            names = layouts.image_names(gt_dir, f'{task} {split}')
            with open(osp.join(folder, task, split, 'meta_info.txt'), 'w', encoding='utf-8') as f:
                for name in names:
                    h, w, c = cv2.imread(osp.join(gt_dir, name), cv2.IMREAD_UNCHANGED).shape
                    f.write(f'{name} ({h},{w},{c}) 1\n')


def describe(seed):
    return dict(name=NAME, preset=PRESET, version=VERSION, seed=seed, tasks=list(TASKS), val_count=VAL_COUNT,
                crop=CROP, haze_versions=HAZE_VERSIONS, non_member_splits=NON_MEMBER_SPLITS, sources=SOURCES)


def build_real_mini(src, out=REAL_MINI_ROOT, seed=0, quiet=False):
    """Build the protocol from ``src`` into ``out`` unless the same one is already there; returns its stamp."""
    import os
    bsds, rain = osp.join(src, 'BSDS500'), osp.join(src, 'Rain100L')
    noise_train, noise_val = _held_out(layouts.bsds500_images(bsds, 'train'), VAL_COUNT['noise'], seed, 'noise')
    noise_test = layouts.listed_images(osp.join(bsds, 'images', 'val'), osp.join(bsds, 'cbsd68_names.txt'))
    rain_train, rain_val = _held_out(layouts.rain100l_pairs(osp.join(rain, 'train')), VAL_COUNT['rain'], seed, 'rain')
    rain_test = layouts.rain100l_pairs(osp.join(rain, 'test'))
    scenes = [osp.join(src, 'Sun_Hays80', n) for n in layouts.image_names(osp.join(src, 'Sun_Hays80'), 'Sun_Hays80')]
    haze_train, haze_val = _held_out(scenes, VAL_COUNT['haze'], seed, 'haze')
    haze_test = {prefix: layouts.reside_pairs(osp.join(src, 'SOTS', folder))
                 for prefix, folder in (('sots_', 'outdoor'), ('hsts_', 'HSTS'))}

    def fill(folder):
        for task in TASKS:
            for split in SPLITS:
                for sub in ('gt', 'lq'):
                    os.makedirs(osp.join(folder, task, split, sub))
        for split, paths in (('train', noise_train), ('val', noise_val), ('test', noise_test)):
            _noise_split(folder, split, paths, seed)
        for split, pairs in (('train', rain_train), ('val', rain_val), ('test', rain_test)):
            _pair_split(folder, 'rain', split, pairs)
        for split, paths in (('train', haze_train), ('val', haze_val)):
            _haze_split(folder, split, paths, seed)
        for prefix, pairs in haze_test.items():
            _pair_split(folder, 'haze', 'test', pairs, prefix)
        _meta_info(folder)
        return dict(counts={task: {split: len(layouts.image_names(osp.join(folder, task, split, 'gt'), task))
                                   for split in SPLITS} for task in TASKS},
                    split_hashes={f'{task}/{split}': file_hash(osp.join(folder, task, split))
                                  for task in TASKS for split in SPLITS})

    stamp, built = build_stamped(out, describe(seed), fill, 'real mini protocol', option='--out')
    if not quiet:
        counts = ', '.join(f'{t} {"/".join(str(stamp["counts"][t][s]) for s in SPLITS)}' for t in TASKS)
        print(f'{out}: {"built" if built else "already built"} ({stamp["file_hash"][:12]}); '
              f'train/val/test pairs: {counts}.')
    return stamp
