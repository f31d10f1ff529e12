"""What counts as a number where a user, a file or a cache gives one."""
import math


def is_finite_number(value):
    """A real int or float (not a bool, not a string) that is neither NaN nor infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
