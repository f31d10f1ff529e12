"""BasicSR's test pipeline with the plugin registered; results/ under the current directory.

    python -m basicsr_unlearn.test -opt options/test/PromptIR/test_promptir_tiny_allinone.yml
"""
import os

import basicsr_unlearn  # noqa: F401  (registers the plugin)
from basicsr.test import test_pipeline as basicsr_test_pipeline
from basicsr_unlearn.utils.errors import exit_on_user_error


def test_pipeline(root_path=None):
    basicsr_test_pipeline(root_path or os.getcwd())


if __name__ == '__main__':
    exit_on_user_error('basicsr_unlearn.test', test_pipeline)
