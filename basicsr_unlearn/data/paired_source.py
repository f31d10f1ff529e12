"""One BasicSR paired source (folders, meta_info file or LMDB) tagged with its degradation.

It resolves the (lq, gt) pairs once, with errors that name the option key at
fault, and reads a pair as float32 HWC arrays in [0, 1] (BGR, as BasicSR does).
"""
import hashlib
import os
from os import path as osp

import cv2
import numpy as np

from basicsr.utils import FileClient

from ..utils import OptionError, UserError
from ..utils.hashing import sha256_bytes

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.ppm', '.webp')
COLOR_MODES = ('rgb', 'gray')


class PairedSource:
    """Pairs of one degradation.

    Args:
        opt (dict): ``tag`` (str), ``dataroot_gt``, ``dataroot_lq``, optional
            ``meta_info_file``, ``filename_tmpl`` ('{}'), ``io_backend`` ({type: disk}
            or {type: lmdb}) and ``weight`` (sampling weight of a retain source).
            ``names`` keeps only the listed images of the source, ``exclude`` drops them:
            each a list of gt file names (LMDB: keys) or the path of a file listing one
            per line (meta_info style). Together they split one source into the images
            to delete and the rest, which stays retained.
        key (str): Where this block sits in the option file, for error messages.
        color (str): 'rgb' (grey files become 3 channels) or 'gray' (1 channel).
    """

    def __init__(self, opt, key, color='rgb'):
        if not isinstance(opt, dict):
            raise OptionError(key, f'expected a mapping with tag, dataroot_gt and dataroot_lq, got {opt!r}.')
        self.key = key
        self.opt = opt
        self.tag = self._require('tag')
        self.gt_root = osp.expanduser(str(self._require('dataroot_gt')))
        self.lq_root = osp.expanduser(str(self._require('dataroot_lq')))
        self.color = color
        io_opt = dict(opt.get('io_backend') or {'type': 'disk'})
        self.backend = io_opt.pop('type', 'disk')
        self._backend_kwargs = io_opt
        self._client = None
        if self.backend == 'lmdb':
            self.pairs = self._pairs_from_lmdb()
        elif self.backend == 'disk':
            if opt.get('meta_info_file'):
                self.pairs = self._pairs_from_meta_info(osp.expanduser(opt['meta_info_file']))
            else:
                self.pairs = self._pairs_from_folders()
        else:
            raise OptionError(f'{key}.io_backend.type', f"expected 'disk' or 'lmdb', got {self.backend!r}.")
        for name, keep in (('names', True), ('exclude', False)):
            if opt.get(name) is not None:
                self.pairs = self._select(name, keep)
        if not self.pairs:
            raise OptionError(key, f'source `{self.tag}` has no image pairs (gt: {self.gt_root}).')

    def __len__(self):
        return len(self.pairs)

    def _require(self, name):
        if self.opt.get(name) in (None, ''):
            raise OptionError(f'{self.key}.{name}', 'is required.')
        return self.opt[name]

    def _check_folder(self, name, folder):
        if not osp.isdir(folder):
            raise OptionError(f'{self.key}.{name}', f'folder not found: {folder}')

    def _lq_name(self, gt_name):
        stem, ext = osp.splitext(gt_name)
        return self.opt.get('filename_tmpl', '{}').format(stem) + ext

    def _pairs_from_folders(self):
        self._check_folder('dataroot_gt', self.gt_root)
        self._check_folder('dataroot_lq', self.lq_root)
        gt_names = sorted(f for f in os.listdir(self.gt_root) if f.lower().endswith(IMAGE_EXTENSIONS))
        lq_names = {f for f in os.listdir(self.lq_root) if f.lower().endswith(IMAGE_EXTENSIONS)}
        expected = {self._lq_name(name): name for name in gt_names}
        no_lq = sorted(set(expected) - lq_names)
        no_gt = sorted(lq_names - set(expected))
        if no_lq or no_gt:
            raise OptionError(
                f'{self.key}.dataroot_lq', f'gt and lq images do not match in source `{self.tag}`: '
                f'{len(no_lq)} gt image(s) without lq {no_lq[:3]}, {len(no_gt)} lq image(s) without gt {no_gt[:3]} '
                f'(gt: {self.gt_root}, lq: {self.lq_root}).')
        return [(osp.join(self.lq_root, lq), osp.join(self.gt_root, gt)) for lq, gt in sorted(expected.items())]

    def _pairs_from_meta_info(self, meta_info_file):
        self._check_folder('dataroot_gt', self.gt_root)
        self._check_folder('dataroot_lq', self.lq_root)
        if not osp.isfile(meta_info_file):
            raise OptionError(f'{self.key}.meta_info_file', f'file not found: {meta_info_file}')
        with open(meta_info_file, encoding='utf-8') as f:
            gt_names = [line.split()[0] for line in f if line.strip()]
        pairs = []
        for gt_name in gt_names:
            gt_path = osp.join(self.gt_root, gt_name)
            lq_path = osp.join(self.lq_root, self._lq_name(gt_name))
            for path, root_key in ((gt_path, 'dataroot_gt'), (lq_path, 'dataroot_lq')):
                if not osp.isfile(path):
                    raise OptionError(f'{self.key}.{root_key}',
                                      f'{path} is listed in {meta_info_file} but does not exist.')
            pairs.append((lq_path, gt_path))
        return pairs

    def _lmdb_keys(self, name, root):
        if not root.endswith('.lmdb'):
            raise OptionError(f'{self.key}.{name}', f"an LMDB folder must end with '.lmdb', got {root}")
        self._check_folder(name, root)
        meta_info = osp.join(root, 'meta_info.txt')
        if not osp.isfile(meta_info):
            raise OptionError(f'{self.key}.{name}', f'LMDB {root} has no meta_info.txt (make it with '
                              'basicsr.utils.lmdb_util.make_lmdb_from_imgs).')
        with open(meta_info, encoding='utf-8') as f:
            return [osp.splitext(line.split()[0])[0] for line in f if line.strip()]

    def image_name(self, pair):
        """The name ``names``/``exclude`` match: the gt file name (LMDB: the key)."""
        return pair[1] if self.backend == 'lmdb' else osp.basename(pair[1])

    def image_id(self, index):
        """Where pair ``index``'s clean image lives: two sources with equal ids hold the same image."""
        gt = self.pairs[index][1]
        return (osp.realpath(self.gt_root), gt) if self.backend == 'lmdb' else osp.realpath(gt)

    def _select(self, name, keep):
        listed = self.opt[name]
        if isinstance(listed, str):
            if not osp.isfile(osp.expanduser(listed)):
                raise OptionError(f'{self.key}.{name}', f'file not found: {listed}')
            with open(osp.expanduser(listed), encoding='utf-8') as f:
                listed = [line.split()[0] for line in f if line.strip()]
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise OptionError(f'{self.key}.{name}', f'expected a list of image names or a list file, got {listed!r}.')
        listed = {osp.splitext(n)[0] if self.backend == 'lmdb' else n for n in listed}
        unknown = sorted(listed - {self.image_name(pair) for pair in self.pairs})
        if unknown:
            raise OptionError(f'{self.key}.{name}', f'{len(unknown)} listed image(s) not in source `{self.tag}` '
                              f'(gt: {self.gt_root}): {unknown[:3]}.')
        return [pair for pair in self.pairs if (self.image_name(pair) in listed) == keep]

    def _pairs_from_lmdb(self):
        gt_keys = self._lmdb_keys('dataroot_gt', self.gt_root)
        lq_keys = self._lmdb_keys('dataroot_lq', self.lq_root)
        if set(gt_keys) != set(lq_keys):
            only_gt, only_lq = sorted(set(gt_keys) - set(lq_keys)), sorted(set(lq_keys) - set(gt_keys))
            raise OptionError(f'{self.key}.dataroot_lq', f'LMDB keys of gt and lq differ in source `{self.tag}`: '
                              f'only in gt {only_gt[:3]}, only in lq {only_lq[:3]}.')
        return [(key, key) for key in sorted(gt_keys)]

    def _bytes(self, path, client_key):
        if self._client is None:  # opened lazily, once per worker process
            if self.backend == 'lmdb':
                self._client = FileClient('lmdb', db_paths=[self.lq_root, self.gt_root], client_keys=['lq', 'gt'],
                                          **self._backend_kwargs)
            else:
                self._client = FileClient('disk')
        return self._client.get(path, client_key)

    def _read(self, path, client_key):
        data = self._bytes(path, client_key)
        img = decode_image(data, self.color == 'gray')
        if img is None:
            raise UserError(f'{self.key}: cannot decode image {path!r} ({client_key}) of source `{self.tag}`: '
                            f'{len(data or b"")} bytes that are not a whole image (truncated, empty or not an image).')
        return img[..., None] if img.ndim == 2 else img

    def image_hashes(self, client_key):
        """sha256 of every pair's ``client_key`` ('gt' or 'lq') file bytes, in pair order (each
        image is decoded once, so a broken file is named here too)."""
        column = 1 if client_key == 'gt' else 0
        hashes = []
        for pair in self.pairs:
            self._read(pair[column], client_key)
            hashes.append(sha256_bytes(self._bytes(pair[column], client_key)))
        return hashes

    def content_fingerprint(self):
        """sha256 over every pair's names and file bytes: what a score of this source depends on."""
        digest = hashlib.sha256()
        for lq_path, gt_path in self.pairs:
            digest.update(f'{lq_path}\0{gt_path}\0'.encode())
            for path, client_key in ((lq_path, 'lq'), (gt_path, 'gt')):
                digest.update(hashlib.sha256(self._bytes(path, client_key)).digest())
        return digest.hexdigest()

    def read(self, index):
        """Returns (img_lq, img_gt, lq_path, gt_path); lq and gt must have the same size (scale 1)."""
        lq_path, gt_path = self.pairs[index]
        img_lq, img_gt = self._read(lq_path, 'lq'), self._read(gt_path, 'gt')
        if img_lq.shape != img_gt.shape:
            raise OptionError(f'{self.key}.dataroot_lq', f'lq {lq_path} is {img_lq.shape[:2]} but gt {gt_path} is '
                              f'{img_gt.shape[:2]}; restoration pairs must have the same size.')
        return img_lq, img_gt, lq_path, gt_path


def decode_image(data, gray=False):
    """float32 HWC (BGR) in [0, 1], or None when ``data`` is no whole image (OpenCV would fail
    inside basicsr's ``imfrombytes`` without naming the file)."""
    if not data:
        return None
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    return None if img is None else img.astype(np.float32) / 255.


def random_crop_and_augment(imgs, size, rng, hflip, rot, where):
    """Crops the same random ``size`` patch from every image, then flips/rotates them alike.

    ``rng`` (numpy Generator) is the only source of randomness, so the result is a
    pure function of the seed that made it.
    """
    h, w = imgs[0].shape[:2]
    if size is not None:
        if h < size or w < size:
            raise OptionError('gt_size', f'{size} is larger than image {where} ({h}x{w}).')
        top, left = int(rng.integers(h - size + 1)), int(rng.integers(w - size + 1))
        imgs = [img[top:top + size, left:left + size] for img in imgs]
    do_hflip = hflip and rng.random() < 0.5
    do_vflip = rot and rng.random() < 0.5
    do_transpose = rot and rng.random() < 0.5
    out = []
    for img in imgs:
        if do_hflip:
            img = img[:, ::-1]
        if do_vflip:
            img = img[::-1]
        if do_transpose:
            img = img.transpose(1, 0, 2)
        out.append(np.ascontiguousarray(img))
    return out
