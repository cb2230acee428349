"""Use cases shared by pages, the API, the CLI and the scheduler."""
