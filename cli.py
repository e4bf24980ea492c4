"""kgsynth command line from a checkout: `python cli.py --help` (after `pip install -e .`);
installed, the same is the `kgsynth` command."""

import sys

from kgsynth.cli import main

if __name__ == "__main__":
    sys.exit(main())
