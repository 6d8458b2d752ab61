"""``python -m cli``: the same as the ``verselight`` command."""

import sys

from cli.main import main

if __name__ == "__main__":  # importing this module (as tests/test_layers.py does) runs nothing
    sys.exit(main())
