"""Several tagged paired sources as one training set: how all-in-one models are trained."""
from basicsr.utils.registry import DATASET_REGISTRY

from ..utils import OptionError
from .paired_source import PairedSource
from .seeded_paired_dataset import SeededPairedDataset


@DATASET_REGISTRY.register()
class AllInOnePairedDataset(SeededPairedDataset):
    """The union of paired sources of several degradations (noise, rain, haze, ...).

    Used to train the all-in-one model (all sources) and the retain-only references
    (all but the forgettable one). Each source is repeated ``repeat`` times per epoch
    (default 1), to balance small sets against large ones, as the all-in-one papers do.

    Option keys: ``sources`` (list of paired sources: ``tag``, ``dataroot_gt``,
    ``dataroot_lq``, optional ``meta_info_file``, ``io_backend``, ``repeat``), and those
    of SeededPairedDataset (``gt_size``, ``use_hflip``, ``use_rot``, ``color``, ``seed``).
    Items: ``lq``, ``gt``, ``lq_path``, ``gt_path`` (what SRModel reads) and ``tag``.
    """

    def __init__(self, opt):
        super().__init__(opt)
        sources = opt.get('sources')
        if not isinstance(sources, list) or not sources:
            raise OptionError(f'{self.prefix}.sources', 'expected a list of one or more paired sources.')
        self.sources = [PairedSource(s, f'{self.prefix}.sources[{i}]', self.color) for i, s in enumerate(sources)]
        self.index = []  # (source, pair number)
        for i, (source, source_opt) in enumerate(zip(self.sources, sources)):
            repeat = source_opt.get('repeat', 1)
            if not isinstance(repeat, int) or repeat < 1:
                raise OptionError(f'{self.prefix}.sources[{i}].repeat', f'expected an integer >= 1, got {repeat!r}.')
            self.index += [(source, j) for _ in range(repeat) for j in range(len(source))]

    def __len__(self):
        return len(self.index)

    def __getitem__(self, index):
        source, pair = self.index[index]
        lq, gt, lq_path, gt_path = self.load_pair(source, pair, self.rng(index))
        return {'lq': lq, 'gt': gt, 'lq_path': lq_path, 'gt_path': gt_path, 'tag': str(source.tag)}
