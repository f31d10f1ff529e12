"""Read the restoration datasets as their public releases lay them out, and say what is wrong.

Each reader returns ``[(name, lq_path, gt_path)]`` (or clean image paths) and raises
``MissingFileError`` naming the file when an input has no partner. ``read_pair`` loads a
pair as 3-channel 8-bit BGR and warns, naming the file, about grey images and alpha
channels; a pair whose sizes differ is an error. Folders are only read.

Layouts understood:

- Rain100L: ``<split>[/small]/{rain,norain}/norain-N.png`` (RCDNet / JORDER-E release:
  both sides carry the clean name), or ``rainy/rain-N.png`` with ``norain/`` or ``gt/``
  ``norain-N.png`` (PromptIR/AdaIR), or ``input/`` + ``target/`` with equal names.
- BSDS500: ``images/{train,val,test}/*.jpg`` and a CBSD68 name list (one stem per line).
- RESIDE SOTS / HSTS: ``haze/XXXX_A_B.jpg`` with ``clear/XXXX.png``, or equal names.
- Any folder of clean photographs (haze is synthesised on them).
"""
import os
import warnings
from os import path as osp

import cv2

from ..data.paired_source import IMAGE_EXTENSIONS
from ..utils import MissingFileError, UserError

RAIN_INPUT_DIRS = ('rain', 'rainy', 'input')
RAIN_TARGET_DIRS = ('norain', 'gt', 'target')


def image_names(folder, what):
    """Sorted image file names in ``folder``; an error naming it when it is missing or has none."""
    if not osp.isdir(folder):
        raise MissingFileError(f'{what}: folder not found: {folder}')
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise MissingFileError(f'{what}: no images in {folder}')
    return names


def safe_name(name):
    """'0025_0.8_0.04.jpg' -> '0025_0p8_0p04.jpg': one dot, before the extension (BasicSR's LMDB
    reader keys on the text before the first dot, which would merge a scene's hazy versions)."""
    stem, ext = osp.splitext(name)
    return stem.replace('.', 'p') + ext


def _first_dir(root, candidates, what):
    for name in candidates:
        if osp.isdir(osp.join(root, name)):
            return osp.join(root, name)
    raise MissingFileError(f'{what}: none of {list(candidates)} found in {root}')


def _warn_unpartnered(targets, used, folder, what):
    spare = sorted(set(targets) - used)
    if spare:
        warnings.warn(f'{what}: {len(spare)} image(s) in {folder} have no input and are left out, e.g. {spare[:3]}',
                      stacklevel=3)


def rain100l_pairs(split_root):
    """Rain100L pairs of one split folder (``.../Rain100L/train`` or ``.../test``), any of its layouts."""
    root = osp.join(split_root, 'small') if osp.isdir(osp.join(split_root, 'small')) else split_root
    lq_dir = _first_dir(root, RAIN_INPUT_DIRS, 'Rain100L inputs')
    gt_dir = _first_dir(root, RAIN_TARGET_DIRS, 'Rain100L targets')
    targets = set(image_names(gt_dir, 'Rain100L targets'))
    pairs, used = [], set()
    for name in image_names(lq_dir, 'Rain100L inputs'):
        partner = name if name in targets else 'no' + name if name.startswith('rain-') else None
        if partner not in targets:
            raise MissingFileError(f'Rain100L: input {osp.join(lq_dir, name)} has no clean partner in {gt_dir} '
                                   f'(expected {name} or, for rain-N, norain-N).')
        used.add(partner)
        pairs.append((osp.splitext(partner)[0], osp.join(lq_dir, name), osp.join(gt_dir, partner)))
    _warn_unpartnered(targets, used, gt_dir, 'Rain100L')
    return pairs


def bsds500_images(root, split):
    """Paths of BSDS500 ``images/<split>`` (train, val or test)."""
    folder = osp.join(root, 'images', split)
    return [osp.join(folder, n) for n in image_names(folder, f'BSDS500 {split}')]


def listed_images(folder, list_file):
    """Paths in ``folder`` of the stems listed in ``list_file`` (e.g. CBSD68's 68 names), in list order."""
    if not osp.isfile(list_file):
        raise MissingFileError(f'image list not found: {list_file}')
    by_stem = {osp.splitext(n)[0]: n for n in image_names(folder, osp.basename(folder))}
    with open(list_file, encoding='utf-8') as f:
        stems = [osp.splitext(line.strip())[0] for line in f if line.strip()]
    missing = [s for s in stems if s not in by_stem]
    if missing:
        raise MissingFileError(f'{list_file}: {len(missing)} listed image(s) not in {folder}, e.g. {missing[:3]}')
    return [osp.join(folder, by_stem[s]) for s in stems]


def reside_pairs(root):
    """RESIDE test pairs: ``haze/XXXX_A_B.jpg`` with ``clear/XXXX.*`` (SOTS) or equal names (HSTS)."""
    haze_dir, clear_dir = osp.join(root, 'haze'), osp.join(root, 'clear')
    clear_by_stem = {osp.splitext(n)[0]: n for n in image_names(clear_dir, 'RESIDE clear images')}
    pairs, used = [], set()
    for name in image_names(haze_dir, 'RESIDE hazy images'):
        stem = osp.splitext(name)[0]
        scene = stem if stem in clear_by_stem else stem.split('_')[0]
        if scene not in clear_by_stem:
            raise MissingFileError(f'RESIDE: hazy image {osp.join(haze_dir, name)} has no clear image {scene}.* '
                                   f'in {clear_dir}')
        used.add(clear_by_stem[scene])
        pairs.append((osp.splitext(safe_name(name))[0], osp.join(haze_dir, name),
                      osp.join(clear_dir, clear_by_stem[scene])))
    _warn_unpartnered(clear_by_stem.values(), used, clear_dir, 'RESIDE')
    return pairs


def read_image(path):
    """3-channel 8-bit BGR; grey images are expanded and an alpha channel dropped, each with a warning."""
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise UserError(f'cannot decode image {path}')
    if img.dtype != 'uint8':
        raise UserError(f'{path}: expected an 8-bit image, got {img.dtype}')
    if img.ndim == 2 or img.shape[2] == 1:
        warnings.warn(f'{path}: grey image, used as three equal channels', stacklevel=2)
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        warnings.warn(f'{path}: alpha channel dropped', stacklevel=2)
        return img[..., :3].copy()
    return img


def read_pair(lq_path, gt_path):
    """(lq, gt) as ``read_image`` gives them; an error naming both files when their sizes differ."""
    lq, gt = read_image(lq_path), read_image(gt_path)
    if lq.shape != gt.shape:
        raise UserError(f'pair of different sizes: {lq_path} is {lq.shape[1]}x{lq.shape[0]}, '
                        f'{gt_path} is {gt.shape[1]}x{gt.shape[0]}')
    return lq, gt
