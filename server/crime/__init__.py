"""Recorded crime (police.uk street-level counts) beside residents' concerns."""
