"""doorstep collector."""
