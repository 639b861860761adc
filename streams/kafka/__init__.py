"""Kafka I/O outside Faust: topic administration and the CLI's producer/consumer (kafka-python)."""
