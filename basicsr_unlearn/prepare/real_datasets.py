"""Turn the all-in-one papers' dataset folders (PromptIR/AdaIR/AirNet layout) into ours.

Authors' layout (see datasets.md)::

    <train>/Denoise/*.{png,jpg,bmp}            BSD400 + WED clean images
    <train>/Derain/rainy/rain-N.png            Rain100L training pairs (200)
    <train>/Derain/gt/norain-N.png
    <train>/Dehaze/synthetic/partK/XXXX_A_B.jpg  RESIDE OTS hazy images
    <train>/Dehaze/original/XXXX.jpg           their clear images
    <test>/denoise/bsd68/*.png                 CBSD68 clean images
    <test>/derain/Rain100L/{input,target}/*.png
    <test>/dehaze/{input,target}/              SOTS-outdoor: input XXXX_*.png, target XXXX.png

Ours: ``<out>/<task>/<split>/{gt,lq}/<name>`` with equal file names in gt and lq
(what BasicSR's paired datasets need), for task in noise15 noise25 noise50 rain haze.
Noisy inputs are made once, with a fixed seed per (image, sigma), as
``clip(clean + N(0, sigma^2))`` on 0..255, and stored as PNG with PNG copies of
their clean images. Rain and haze files are linked (hard link, else symlink, else
copy) under the input's name: a hazy image's clear partner appears once per hazy
version. Dots inside RESIDE names (``0025_0.8_0.04.jpg``) become 'p'
(``0025_0p8_0p04.jpg``): BasicSR's LMDB reader keys on the text before the first
dot, which would merge all hazy versions of one scene. Source folders are only read.

The output is built whole in a temporary folder beside ``<out>`` and renamed, with a
``benchmark.json`` stamp (``stamped_folder``): it is complete or absent, a rerun with the
same sources and settings does nothing, and an existing folder we did not build (or built
with other settings) is refused rather than written into.
"""
import os
import zlib
from os import path as osp

import cv2
import numpy as np
from tqdm import tqdm

from ..data.paired_source import IMAGE_EXTENSIONS
from ..utils import MissingFileError, UserError
from .public_layouts import image_names, safe_name
from .stamped_folder import build_stamped

NAME = 'authors_allinone'
VERSION = 1
SIGMAS = (15, 25, 50)


def _new_file(dst, src):
    """The output is built from empty, so an existing ``dst`` means two sources share its name."""
    if osp.lexists(dst):
        raise UserError(f'{src} would become {dst}, which another source image became already; rename one of them.')
    os.makedirs(osp.dirname(dst), exist_ok=True)


def _link(src, dst):
    """Make ``dst`` show ``src`` without copying when the file system allows."""
    _new_file(dst, src)
    try:
        os.link(src, dst)
    except OSError:
        try:
            os.symlink(osp.abspath(src), dst)
        except OSError:
            import shutil
            shutil.copyfile(src, dst)


def noisy_copy(clean_path, sigma, dst):
    """AWGN of ``sigma`` on 0..255, clipped, with a seed fixed by the file name and sigma; PNG."""
    img = cv2.imread(clean_path, cv2.IMREAD_COLOR)
    if img is None:
        raise UserError(f'cannot read image {clean_path}')
    rng = np.random.default_rng((zlib.crc32(osp.basename(clean_path).encode()), sigma))
    noisy = np.clip(img.astype(np.float64) + rng.standard_normal(img.shape) * sigma, 0, 255)
    _new_file(dst, clean_path)
    cv2.imwrite(dst, noisy.round().astype(np.uint8))


def noise_pairs(clean_dir, out, split, names=None):
    """gt and noisy PNGs for sigma 15/25/50 (the lq keeps the gt's name, with .png)."""
    names = names or image_names(clean_dir, f'denoise {split} clean images')
    for name in tqdm(names, desc=f'noise {split}', unit='img'):
        stem = osp.splitext(name)[0]
        gt = cv2.imread(osp.join(clean_dir, name), cv2.IMREAD_COLOR)
        if gt is None:
            raise UserError(f'cannot read image {osp.join(clean_dir, name)}')
        for sigma in SIGMAS:
            task = osp.join(out, f'noise{sigma}', split)
            _new_file(osp.join(task, 'gt', f'{stem}.png'), osp.join(clean_dir, name))
            cv2.imwrite(osp.join(task, 'gt', f'{stem}.png'), gt)  # PNG, so gt and lq share a name
            noisy_copy(osp.join(clean_dir, name), sigma, osp.join(task, 'lq', f'{stem}.png'))


def rain_train_pairs(derain_dir, out):
    rainy = image_names(osp.join(derain_dir, 'rainy'), 'Derain/rainy')
    for name in tqdm(rainy, desc='rain train', unit='img'):
        gt_name = 'norain-' + name.split('rain-', 1)[-1]
        gt = osp.join(derain_dir, 'gt', gt_name)
        if not osp.isfile(gt):
            raise MissingFileError(f'Derain: {name} has no clean partner {gt}')
        _link(osp.join(derain_dir, 'rainy', name), osp.join(out, 'rain', 'train', 'lq', safe_name(name)))
        _link(gt, osp.join(out, 'rain', 'train', 'gt', safe_name(name)))


def same_name_pairs(input_dir, target_dir, out, task, split):
    for name in tqdm(image_names(input_dir, f'{task} {split} inputs'), desc=f'{task} {split}', unit='img'):
        gt = osp.join(target_dir, name)
        if not osp.isfile(gt):
            raise MissingFileError(f'{task} {split}: {name} has no target {gt}')
        _link(osp.join(input_dir, name), osp.join(out, task, split, 'lq', safe_name(name)))
        _link(gt, osp.join(out, task, split, 'gt', safe_name(name)))


def haze_pairs(hazy_files, clear_dir, clear_ext, out, split):
    """Each hazy image XXXX_A_B.ext pairs with clear XXXX<clear_ext>; the gt link takes the hazy
    image's exact name (image readers go by content, not extension)."""
    for hazy in tqdm(hazy_files, desc=f'haze {split}', unit='img'):
        name = osp.basename(hazy)
        if not osp.isfile(hazy):
            raise MissingFileError(f'haze {split}: listed image {hazy} not found')  # else a dangling link
        clear = osp.join(clear_dir, name.split('_')[0] + clear_ext)
        if not osp.isfile(clear):
            raise MissingFileError(f'haze {split}: {hazy} has no clear image {clear}')
        _link(hazy, osp.join(out, 'haze', split, 'lq', safe_name(name)))
        _link(clear, osp.join(out, 'haze', split, 'gt', safe_name(name)))


def describe(train_root, test_root, denoise_list, hazy_list, lmdb):
    """The stamp entries a rerun must match to find ``out`` already built."""
    def absolute(path):
        return osp.abspath(path) if path else None

    return dict(name=NAME, version=VERSION, train=absolute(train_root), test=absolute(test_root),
                denoise_list=absolute(denoise_list), hazy_list=absolute(hazy_list), sigmas=list(SIGMAS),
                lmdb=bool(lmdb))


def prepare_real(train_root, test_root, out, denoise_list=None, hazy_list=None, lmdb=False):
    """Build our layout from the authors' into ``out`` unless the same one is there; returns its stamp.
    ``denoise_list``/``hazy_list`` are the authors' ``data_dir/noisy/denoise.txt`` and
    ``data_dir/hazy/hazy_outside.txt`` (optional filters)."""
    def fill(folder):
        _convert(train_root, test_root, folder, denoise_list, hazy_list)
        if lmdb:
            make_lmdbs(folder)

    wanted = describe(train_root, test_root, denoise_list, hazy_list, lmdb)
    return build_stamped(out, wanted, fill, "conversion of the authors' datasets", option='--out')[0]


def _convert(train_root, test_root, out, denoise_list, hazy_list):
    def listed(path):
        with open(path, encoding='utf-8') as f:
            return [line.strip() for line in f if line.strip()]

    denoise_dir = osp.join(train_root, 'Denoise')
    names = None
    if denoise_list:
        wanted = set(listed(denoise_list))
        names = [n for n in image_names(denoise_dir, 'Denoise') if n in wanted]
    noise_pairs(denoise_dir, out, 'train', names)
    rain_train_pairs(osp.join(train_root, 'Derain'), out)
    dehaze = osp.join(train_root, 'Dehaze')
    if hazy_list:
        hazy = [osp.join(dehaze, rel) for rel in listed(hazy_list)]
    else:
        synthetic = osp.join(dehaze, 'synthetic')
        hazy = sorted(osp.join(folder, f) for folder, _, files in os.walk(synthetic) for f in files
                      if f.lower().endswith(IMAGE_EXTENSIONS))
    haze_pairs(hazy, osp.join(dehaze, 'original'), '.jpg', out, 'train')

    noise_pairs(osp.join(test_root, 'denoise', 'bsd68'), out, 'test')
    same_name_pairs(osp.join(test_root, 'derain', 'Rain100L', 'input'),
                    osp.join(test_root, 'derain', 'Rain100L', 'target'), out, 'rain', 'test')
    sots = osp.join(test_root, 'dehaze')
    haze_pairs([osp.join(sots, 'input', n) for n in image_names(osp.join(sots, 'input'), 'dehaze test inputs')],
               osp.join(sots, 'target'), '.png', out, 'test')


def make_lmdbs(out):
    """``gt.lmdb``/``lq.lmdb`` beside each split's folders, with BasicSR's utility (keys = stems)."""
    from basicsr.utils.lmdb_util import make_lmdb_from_imgs
    for task in sorted(os.listdir(out)):
        for split in ('train', 'test'):
            folder = osp.join(out, task, split)
            for sub in ('gt', 'lq'):
                lmdb_path = osp.join(folder, f'{sub}.lmdb')
                if osp.isdir(osp.join(folder, sub)) and not osp.exists(lmdb_path):
                    names = image_names(osp.join(folder, sub), f'{task} {split} {sub}')
                    make_lmdb_from_imgs(osp.join(folder, sub), lmdb_path, names, [osp.splitext(n)[0] for n in names])
