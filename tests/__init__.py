"""The harness's unit tests: python3 -m unittest discover -s tests -t ."""
import os
import shutil
import tempfile


class TempFiles:
    """A scratch directory per test (self.tmp, removed afterwards) and write() into it."""

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return path
