"""One module per `boardscale` subcommand: `HELP`, `add_arguments(parser)`, `run(args) -> int`."""
