"""Reads of consult shared by the pages and the API."""
