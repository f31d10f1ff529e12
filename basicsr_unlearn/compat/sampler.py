"""BasicSR's EnlargedSampler, told the epoch's dataset and where a resumed epoch stopped.

``ForgetRetainPairedDataset`` draws an item's crop, flips and retain partner from
(seed, epoch, index) alone, so the data do not depend on the number of processes or
workers. It needs the epoch, which BasicSR only gives to the sampler.

A resumed run (``compat.checkpoints.load_resume_state``) starts its first epoch after the
batches that epoch had already used before the checkpoint, as the uninterrupted run did.
"""
from basicsr.data.data_sampler import EnlargedSampler

_original_set_epoch = EnlargedSampler.set_epoch
_original_iter = EnlargedSampler.__iter__
_resume = {}  # this process's resume point: epoch, iter, loader batch size (set once, used once)


def resume_at(epoch, current_iter, loader_batch_size):
    _resume.update(epoch=epoch, iter=current_iter, batch=loader_batch_size)


def set_epoch(self, epoch):
    _original_set_epoch(self, epoch)
    if hasattr(self.dataset, 'set_epoch'):
        self.dataset.set_epoch(epoch)
    self._skip = 0
    if _resume.get('epoch') == epoch:
        per_epoch = self.num_samples // _resume['batch']  # the train loader drops the last incomplete batch
        self._skip = max(0, _resume['iter'] - epoch * per_epoch) * _resume['batch']
        _resume.clear()


def sampler_iter(self):
    """The epoch's indices, after the ones a resumed epoch had already used."""
    indices = list(_original_iter(self))
    skip, self._skip = getattr(self, '_skip', 0), 0
    return iter(indices[skip:])
