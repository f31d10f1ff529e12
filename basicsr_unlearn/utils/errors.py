"""The project's user errors: bad input that the commands report in one line, without a traceback.

Anything else that goes wrong is a bug and keeps its traceback (``basicsr_unlearn.cli``).
"""
import sys


class UserError(ValueError):
    """Bad input: an option, a path, a file's contents, a refused request. The message says what
    was expected and names the option key or the file. (A ValueError, as such input was before
    this type existed.)"""


class OptionError(UserError):
    """An option value or a file it points to is not what is expected.

    Args:
        key (str): Dotted option key at fault, e.g. ``datasets.train.forget.dataroot_gt``.
        message (str): What is wrong and what was expected.
    """

    def __init__(self, key, message):
        self.key = key
        super().__init__(f'option `{key}`: {message}')


class MissingFileError(UserError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class ExistingFileError(UserError, FileExistsError):
    """The output exists already; we never overwrite what we did not create."""


def exit_on_user_error(prog, function, *args):
    """``function(*args)``; bad input ends the process with one line on stderr and exit status 2,
    as the ``basicsr-unlearn`` commands do (a bug keeps its traceback). For our BasicSR entry points."""
    try:
        return function(*args)
    except UserError as error:
        print(f'{prog}: error: {error}', file=sys.stderr)
        sys.exit(2)
