"""Block, allow and watch lists as stored: the entries analysts and other banks add, which the engine's
in-memory list book (``engine.lists``) is rebuilt from."""
