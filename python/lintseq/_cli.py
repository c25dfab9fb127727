"""The `lintseq` and `pylintseq` console scripts: the Rust command line, in-process."""

import os
import signal
import sys

from lintseq import _lintseq


def main() -> None:
    # The run is in Rust and never looks at Python's SIGINT flag: let Ctrl-C end the
    # process at once, as it ends the native binary.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    name = os.path.basename(sys.argv[0])
    if not name or name.endswith(".py"):  # python -m lintseq
        name = "lintseq"
    sys.exit(_lintseq.cli([name, *sys.argv[1:]]))


if __name__ == "__main__":
    main()
