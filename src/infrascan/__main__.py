"""Allows `python -m infrascan`, which is handy where the console script is not on PATH."""

from infrascan.console import main

main()
