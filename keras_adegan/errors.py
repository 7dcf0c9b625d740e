"""The one exception type that carries a user-facing message.

Everything a user can get wrong (an unknown dataset, a missing file, an image of the wrong
shape, NaN pixels, an output folder that already holds a model) raises `ADeGANError` with a
sentence that says what was wrong and what to do. The command-line tools print that sentence
and exit with status 2 instead of showing a traceback.
"""


class ADeGANError(ValueError):
    """A problem with the user's input, explained in words.

    Example:
        >>> raise ADeGANError("unknown dataset 'mnits'; choose one of: mnist, ...")
    """
