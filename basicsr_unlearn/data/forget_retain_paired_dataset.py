"""Forget pairs and retain pairs, side by side, for unlearning through BasicSR's loader."""
import numpy as np

from basicsr.utils.registry import DATASET_REGISTRY

from ..utils import OptionError
from .paired_source import PairedSource
from .seeded_paired_dataset import SeededPairedDataset


@DATASET_REGISTRY.register()
class ForgetRetainPairedDataset(SeededPairedDataset):
    """Each item is one forget pair and one retain pair.

    Its length is the forget set's: one epoch visits every forget pair once (the
    forget set may be the union of several sources, e.g. noise at three levels), each
    with a retain pair drawn from the retain sources by their ``weight``. The draw,
    like the crops and flips, depends only on (seed, epoch, index) (SeededPairedDataset).

    Option keys (beside BasicSR's ``name``, ``type``, ``phase``, loader keys):
        forget (dict | list[dict]): paired source(s) to forget: ``tag``, ``dataroot_gt``,
            ``dataroot_lq``, optional ``meta_info_file``, ``filename_tmpl``, ``io_backend``.
        retain (list[dict] | dict): one or more paired sources, each with an
            optional sampling ``weight`` (default 1).
        forget_mix (float): probability that a forget pair's degradation ``lq - gt`` is moved
            onto another clean image, which then is the pair's ``gt`` (default 0: off).
            Ascent on exactly the training images teaches the network to fail on *those
            images*, which a membership attack then sees; moved degradations aim the ascent
            at the degradation instead. Exact for additive degradations (noise), close for
            screen-blended streaks, rough for haze.
        forget_mix_clean (str): where the clean images come from: 'retain' (default: the
            retain sources' gt, content the forget set does not have) or 'forget' (another
            forget pair's gt).
        reference (dict | list[dict]): optional paired source(s) of *unseen* images of the
            forget degradation (e.g. its val split). Each item then also carries one
            reference pair: what ``AscentLoss`` with ``bound: reference`` measures how
            well the network restores images it never trained on.
        gt_size, use_hflip, use_rot, color, seed: see SeededPairedDataset.

    The forget, retain and reference sources must not share a clean image (same file, or
    same LMDB key in the same database): retain descent would teach back what the ascent
    removes, and a trained image is no reference for unseen ones. To delete some images
    of a source, give it twice: with ``names`` on the forget side, ``exclude`` on the retain.

    Returns dicts with ``lq_forget``, ``gt_forget``, ``lq_retain``, ``gt_retain``
    (CHW float tensors in [0, 1], RGB), their ``*_path`` strings and
    ``tag_forget``/``tag_retain``; with ``reference``, also ``lq_reference``/``gt_reference``.
    """

    def __init__(self, opt):
        super().__init__(opt)
        if not opt.get('forget'):
            raise OptionError(f'{self.prefix}.forget', 'is required: the paired source(s) to forget.')
        self.forget = self.sources('forget')
        self.forget_index = [(source, j) for source in self.forget for j in range(len(source))]
        retain_opts = side_blocks(opt, 'retain')
        if not retain_opts:
            raise OptionError(f'{self.prefix}.retain', 'is required: a list of one or more paired sources to keep.')
        self.retain = [PairedSource(r, f'{self.prefix}.retain[{i}]', self.color) for i, r in enumerate(retain_opts)]
        weights = []
        for i, r in enumerate(retain_opts):
            weight = r.get('weight', 1.0)
            if not isinstance(weight, (int, float)) or weight < 0:
                raise OptionError(f'{self.prefix}.retain[{i}].weight', f'expected a number >= 0, got {weight!r}.')
            weights.append(float(weight))
        if sum(weights) <= 0:
            raise OptionError(f'{self.prefix}.retain', 'all retain weights are 0; at least one must be positive.')
        self.retain_probs = np.array(weights) / sum(weights)
        self.reference = self.sources('reference') if opt.get('reference') else []
        self.reference_index = [(source, j) for source in self.reference for j in range(len(source))]
        check_no_shared_images(self.forget, self.retain, self.reference)
        self.forget_mix = opt.get('forget_mix', 0)
        if not isinstance(self.forget_mix, (int, float)) or not 0 <= self.forget_mix <= 1:
            raise OptionError(f'{self.prefix}.forget_mix',
                              f'expected a probability in [0, 1], got {self.forget_mix!r}.')
        self.forget_mix_clean = opt.get('forget_mix_clean', 'retain')
        if self.forget_mix_clean not in ('retain', 'forget'):
            raise OptionError(f'{self.prefix}.forget_mix_clean', f"expected 'retain' or 'forget', got "
                              f'{self.forget_mix_clean!r}.')
        if self.forget_mix > 0 and self.forget_mix_clean == 'forget' and len(self.forget_index) < 2:
            raise OptionError(f'{self.prefix}.forget_mix', "needs at least two forget pairs with forget_mix_clean "
                              "'forget'.")

    def sources(self, side):
        return side_sources(self.opt, side, self.prefix, self.color)

    def __len__(self):
        return len(self.forget_index)

    def clean_for_mix(self, index, rng):
        """(source, pair) whose gt receives a forget pair's degradation: never the pair itself."""
        if self.forget_mix_clean == 'retain':
            source = self.retain[rng.choice(len(self.retain), p=self.retain_probs)]
            return source, int(rng.integers(len(source)))
        other = int(rng.integers(len(self.forget_index) - 1))
        return self.forget_index[other + (other >= index)]

    def __getitem__(self, index):
        rng = self.rng(index)
        retain = self.retain[rng.choice(len(self.retain), p=self.retain_probs)]
        retain_index = int(rng.integers(len(retain)))
        forget, forget_pair = self.forget_index[index]
        lq_f, gt_f, lq_f_path, gt_f_path = self.load_pair(forget, forget_pair, rng)
        if self.forget_mix > 0 and rng.random() < self.forget_mix:
            _, clean, _, gt_f_path = self.load_pair(*self.clean_for_mix(index, rng), rng)
            lq_f, gt_f = (clean + (lq_f - gt_f)).clamp_(0, 1), clean
        lq_r, gt_r, lq_r_path, gt_r_path = self.load_pair(retain, retain_index, rng)
        item = {
            'lq_forget': lq_f, 'gt_forget': gt_f, 'lq_retain': lq_r, 'gt_retain': gt_r,
            'lq_forget_path': lq_f_path, 'gt_forget_path': gt_f_path,
            'lq_retain_path': lq_r_path, 'gt_retain_path': gt_r_path,
            'tag_forget': str(forget.tag), 'tag_retain': str(retain.tag)
        }
        if self.reference_index:
            item['lq_reference'], item['gt_reference'], _, _ = self.load_pair(
                *self.reference_index[int(rng.integers(len(self.reference_index)))], rng)
        return item


def side_blocks(opt, side):
    """The source blocks of option key ``side`` ('forget', 'retain', 'reference') of a
    ForgetRetainPairedDataset block ``opt``, which may hold one mapping or a list of them."""
    blocks = opt.get(side) or []
    return [blocks] if isinstance(blocks, dict) else list(blocks)


def side_sources(opt, side, prefix='datasets.train', color='rgb'):
    """The paired sources of option key ``side`` (see ``side_blocks``)."""
    if isinstance(opt[side], dict):
        return [PairedSource(opt[side], f'{prefix}.{side}', color)]
    return [PairedSource(b, f'{prefix}.{side}[{i}]', color) for i, b in enumerate(side_blocks(opt, side))]


def check_no_shared_images(*sides):
    """Raise naming the first clean image held by sources of two different ``sides`` (lists of
    sources). Within one side sharing is fine: noise levels often share their clean images."""
    seen = {}
    for side in sides:
        held = {}
        for source in side:
            for index in range(len(source)):
                image = source.image_id(index)
                if image in seen:
                    raise OptionError(source.key, f'image {source.pairs[index][1]} is also in {seen[image]}; the '
                                      'forget, retain and reference sides must not share an image (split a source '
                                      'with `names` / `exclude`).')
                held.setdefault(image, source.key)
        seen.update(held)
