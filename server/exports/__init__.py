"""Spreadsheet exports of stored responses (no Flask)."""
