"""`make bench`: every benchmark in turn."""

from bench import analyze_throughput

analyze_throughput.main()
