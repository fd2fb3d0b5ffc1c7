"""Command line: ``bayfin <noun> <verb>``; each module mounts its own Typer app."""
