"""Reads of mediation shared by the pages and the API."""
