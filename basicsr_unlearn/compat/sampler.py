"""Let BasicSR's EnlargedSampler tell the dataset which epoch it is in.

``ForgetRetainPairedDataset`` draws an item's crop, flips and retain partner from
(seed, epoch, index) alone, so the data do not depend on the number of processes
or workers. It needs the epoch, which BasicSR only gives to the sampler.
"""
from basicsr.data.data_sampler import EnlargedSampler

_original_set_epoch = EnlargedSampler.set_epoch


def set_epoch(self, epoch):
    _original_set_epoch(self, epoch)
    if hasattr(self.dataset, 'set_epoch'):
        self.dataset.set_epoch(epoch)
