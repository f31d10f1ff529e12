"""Write tests/data/promptir_tiny_lightning.ckpt: a real PyTorch Lightning checkpoint laid out
like the authors' released ones (the network is the LightningModule's ``net``, trained with
AdamW and a scheduler, saved by ModelCheckpoint). Run by hand where pytorch_lightning is
installed; the tests only read the file.

    python tools/make_lightning_checkpoint.py
"""
import os
import shutil
import sys
import tempfile

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from basicsr_unlearn.archs.promptir_arch import PromptIR  # noqa: E402

TINY_PROMPTIR = dict(dim=4, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 1, 1, 1],
                     ffn_expansion_factor=1, prompt_sizes=[8, 4, 2], prompt_dims=[4, 4, 8, 8])


class PromptIRModule(pl.LightningModule):
    """The authors' training wrapper in outline: ``self.net`` and an L1 loss."""

    def __init__(self):
        super().__init__()
        self.net = PromptIR(**TINY_PROMPTIR)
        self.loss_fn = nn.L1Loss()

    def training_step(self, batch, batch_idx):
        lq, gt = batch
        loss = self.loss_fn(self.net(lq), gt)
        self.log('train_loss', loss)
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=2e-4)
        return [optimizer], [torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)]


def main():
    torch.manual_seed(0)
    gt = torch.rand(8, 3, 16, 16)
    data = DataLoader(TensorDataset((gt + 0.1 * torch.randn_like(gt)).clamp(0, 1), gt), batch_size=4)
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = pl.callbacks.ModelCheckpoint(dirpath=folder, every_n_epochs=1, save_top_k=-1)
        trainer = pl.Trainer(max_epochs=1, accelerator='cpu', callbacks=[checkpoint], logger=False,
                             enable_progress_bar=False, enable_model_summary=False)
        trainer.fit(PromptIRModule(), data)
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'data',
                           'promptir_tiny_lightning.ckpt')
        shutil.copy(checkpoint.best_model_path or os.path.join(folder, os.listdir(folder)[0]), out)
    print(f'pytorch_lightning {pl.__version__} -> {out} ({os.path.getsize(out)} bytes)')


if __name__ == '__main__':
    main()
