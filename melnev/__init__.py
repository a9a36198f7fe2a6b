"""The `melnev` command line: predict, evaluate, train, bot (`melnev.cli`)."""
