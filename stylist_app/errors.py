"""The one error type for a person's mistake.

`BadInput` is raised wherever a request cannot be answered because of what the person gave: a
picture that is not one, an unknown item or shopper id, an out-of-range count, an empty query.
Its message is one sentence, shown to the person as it is (UI, CLI). Every other exception is a
bug: the UI logs it with its traceback and shows "something went wrong (logged)".
"""


class BadInput(ValueError):
    """A person's mistake; the message is one sentence saying what is wrong and what to do instead."""
