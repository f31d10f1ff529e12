"""BasicSR's training pipeline with the plugin registered, rooted at the current directory.

    python -m basicsr_unlearn.train -opt options/unlearn_rain.yml
    torchrun --nproc_per_node=2 -m basicsr_unlearn.train \
        -opt options/unlearn_rain.yml --launcher pytorch

Every BasicSR flag works (--auto_resume, --debug, --force_yml). experiments/ and
tb_logger/ go under the current directory, not into site-packages.
"""
import os

import basicsr_unlearn  # noqa: F401  (registers the plugin, makes basicsr CPU-ready)
from basicsr.train import train_pipeline as basicsr_train_pipeline
from basicsr_unlearn.utils.errors import exit_on_user_error


def train_pipeline(root_path=None):
    basicsr_train_pipeline(root_path or os.getcwd())


if __name__ == '__main__':
    exit_on_user_error('basicsr_unlearn.train', train_pipeline)
