"""doorstep sync."""
