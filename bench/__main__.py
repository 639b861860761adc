"""`make bench`: every benchmark in turn (bench/run.py), a table, and JSON in var/bench/."""

from bench.run import main

main()
