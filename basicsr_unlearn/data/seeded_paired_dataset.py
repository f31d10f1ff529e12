"""Base of our paired datasets: randomness that is a pure function of (seed, epoch, index)."""
import numpy as np
import torch
from torch.utils import data as data

from basicsr.utils import img2tensor

from ..utils import OptionError
from .paired_source import COLOR_MODES, random_crop_and_augment


class SeededPairedDataset(data.Dataset):
    """Crops and flips come from ``numpy.random.default_rng((seed, epoch, index))``, so an
    item is the same whatever the number of processes or loader workers: a 2-process
    run sees exactly the data of a 1-process run. BasicSR's EnlargedSampler tells the
    epoch (see basicsr_unlearn.compat.sampler).

    Common option keys: ``gt_size`` (patch size, required for training), ``use_hflip``,
    ``use_rot`` (default True), ``color`` ('rgb' default, grey files become 3 channels;
    or 'gray'), ``seed`` (default: the option file's ``manual_seed``, set by the plugin).
    """

    def __init__(self, opt):
        super().__init__()
        self.opt = opt
        phase = opt.get('phase', 'train')
        # the option file's key of this block (BasicSR names the training block `train`)
        self.prefix = 'datasets.train' if phase == 'train' else f"datasets.<{opt.get('name', phase)}>"
        self.color = opt.get('color', 'rgb')
        if self.color not in COLOR_MODES:
            raise OptionError(f'{self.prefix}.color', f'expected one of {COLOR_MODES}, got {self.color!r}.')
        self.is_train = phase == 'train'
        self.gt_size = opt.get('gt_size')
        if self.is_train and not isinstance(self.gt_size, int):
            raise OptionError(f'{self.prefix}.gt_size', f'an integer patch size is required for training, got '
                              f'{self.gt_size!r}.')
        self.use_hflip = opt.get('use_hflip', True)
        self.use_rot = opt.get('use_rot', True)
        self.seed = int(opt.get('seed', 0))
        # shared with loader workers, so a new epoch reaches them without a restart
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()

    def set_epoch(self, epoch):
        self._epoch[0] = epoch

    def rng(self, index):
        return np.random.default_rng((self.seed, int(self._epoch[0]), index))

    def load_pair(self, source, pair, rng):
        """(lq, gt) CHW RGB tensors in [0, 1] (cropped and flipped when training), lq path, gt path."""
        img_lq, img_gt, lq_path, gt_path = source.read(pair)
        if self.is_train:
            img_lq, img_gt = random_crop_and_augment([img_lq, img_gt], self.gt_size, rng, self.use_hflip,
                                                     self.use_rot, gt_path)
        lq, gt = img2tensor([img_lq, img_gt], bgr2rgb=True, float32=True)
        return lq, gt, lq_path, gt_path
