"""`python -m lintseq ...`: the command line."""

from lintseq._cli import main

main()
