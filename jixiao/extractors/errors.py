"""Why an extractor gave up on a file: raised, caught per file, written to the manifest."""

# The category of a failure that may pass on its own (an OCR worker killed, a
# model server busy): the run tries the file again before marking it failed.
TRANSIENT = "transient"


class ExtractError(Exception):
    """The file cannot be read as its format; the message is one line for the manifest."""

    def __init__(self, message: str, category: str = "bad_input") -> None:
        super().__init__(message)
        self.category = category
