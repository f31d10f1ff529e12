"""One error type for bad options, so every message names the key (or file) at fault."""


class OptionError(ValueError):
    """An option value or a file it points to is not what is expected.

    Args:
        key (str): Dotted option key at fault, e.g. ``datasets.train.forget.dataroot_gt``.
        message (str): What is wrong and what was expected.
    """

    def __init__(self, key, message):
        self.key = key
        super().__init__(f'option `{key}`: {message}')
