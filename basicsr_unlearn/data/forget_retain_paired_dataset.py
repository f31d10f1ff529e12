"""Forget pairs and retain pairs, side by side, for unlearning through BasicSR's loader."""
import numpy as np
import torch
from torch.utils import data as data

from basicsr.utils import img2tensor
from basicsr.utils.registry import DATASET_REGISTRY

from ..utils import OptionError
from .paired_source import COLOR_MODES, PairedSource, random_crop_and_augment


@DATASET_REGISTRY.register()
class ForgetRetainPairedDataset(data.Dataset):
    """Each item is one forget pair and one retain pair.

    Its length is the forget set's: one epoch visits every forget pair once, each
    with a retain pair drawn from the retain sources by their ``weight``. Crops,
    flips and the retain draw come from ``numpy.random.default_rng((seed, epoch,
    index))``, so an item is the same whatever the number of processes or workers
    (a 2-process run sees exactly the data of a 1-process run).

    Option keys (beside BasicSR's ``name``, ``type``, ``phase``, loader keys):
        forget (dict): one paired source: ``tag``, ``dataroot_gt``, ``dataroot_lq``,
            optional ``meta_info_file``, ``filename_tmpl``, ``io_backend``.
        retain (list[dict] | dict): one or more paired sources, each with an
            optional sampling ``weight`` (default 1).
        gt_size (int): patch size (training); required when phase is 'train'.
        use_hflip / use_rot (bool): flips and 90-degree rotations. Default: True.
        color (str): 'rgb' (default; grey images become 3 channels) or 'gray'.
        seed (int): default: the option file's ``manual_seed`` (set by the plugin).

    Returns dicts with ``lq_forget``, ``gt_forget``, ``lq_retain``, ``gt_retain``
    (CHW float tensors in [0, 1], RGB), their ``*_path`` strings and
    ``tag_forget``/``tag_retain``.
    """

    def __init__(self, opt):
        super().__init__()
        self.opt = opt
        phase = opt.get('phase', 'train')
        # the option file's key of this block (BasicSR names the training block `train`)
        prefix = 'datasets.train' if phase == 'train' else f"datasets.<{opt.get('name', phase)}>"
        self.color = opt.get('color', 'rgb')
        if self.color not in COLOR_MODES:
            raise OptionError(f'{prefix}.color', f'expected one of {COLOR_MODES}, got {self.color!r}.')
        if opt.get('forget') is None:
            raise OptionError(f'{prefix}.forget', 'is required: the paired source to forget.')
        self.forget = PairedSource(opt['forget'], f'{prefix}.forget', self.color)
        retain_opts = opt.get('retain')
        if isinstance(retain_opts, dict):
            retain_opts = [retain_opts]
        if not retain_opts:
            raise OptionError(f'{prefix}.retain', 'is required: a list of one or more paired sources to keep.')
        self.retain = [PairedSource(r, f'{prefix}.retain[{i}]', self.color) for i, r in enumerate(retain_opts)]
        weights = []
        for i, r in enumerate(retain_opts):
            weight = r.get('weight', 1.0)
            if not isinstance(weight, (int, float)) or weight < 0:
                raise OptionError(f'{prefix}.retain[{i}].weight', f'expected a number >= 0, got {weight!r}.')
            weights.append(float(weight))
        if sum(weights) <= 0:
            raise OptionError(f'{prefix}.retain', 'all retain weights are 0; at least one must be positive.')
        self.retain_probs = np.array(weights) / sum(weights)

        self.is_train = phase == 'train'
        self.gt_size = opt.get('gt_size')
        if self.is_train and not isinstance(self.gt_size, int):
            raise OptionError(f'{prefix}.gt_size', f'an integer patch size is required for training, got '
                              f'{self.gt_size!r}.')
        self.use_hflip = opt.get('use_hflip', True)
        self.use_rot = opt.get('use_rot', True)
        self.seed = int(opt.get('seed', 0))
        # shared with loader workers, so a new epoch reaches them without a restart
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()

    def set_epoch(self, epoch):
        """Called by BasicSR's EnlargedSampler (see basicsr_unlearn.compat.sampler)."""
        self._epoch[0] = epoch

    def __len__(self):
        return len(self.forget)

    def _load(self, source, index, rng):
        img_lq, img_gt, lq_path, gt_path = source.read(index)
        if self.is_train:
            img_lq, img_gt = random_crop_and_augment([img_lq, img_gt], self.gt_size, rng, self.use_hflip,
                                                     self.use_rot, gt_path)
        lq, gt = img2tensor([img_lq, img_gt], bgr2rgb=True, float32=True)
        return lq, gt, lq_path, gt_path

    def __getitem__(self, index):
        rng = np.random.default_rng((self.seed, int(self._epoch[0]), index))
        retain = self.retain[rng.choice(len(self.retain), p=self.retain_probs)]
        retain_index = int(rng.integers(len(retain)))
        lq_f, gt_f, lq_f_path, gt_f_path = self._load(self.forget, index, rng)
        lq_r, gt_r, lq_r_path, gt_r_path = self._load(retain, retain_index, rng)
        return {
            'lq_forget': lq_f, 'gt_forget': gt_f, 'lq_retain': lq_r, 'gt_retain': gt_r,
            'lq_forget_path': lq_f_path, 'gt_forget_path': gt_f_path,
            'lq_retain_path': lq_r_path, 'gt_retain_path': gt_r_path,
            'tag_forget': str(self.forget.tag), 'tag_retain': str(retain.tag)
        }
