"""doorstep server."""
