from remediations.cli import entry

entry()
