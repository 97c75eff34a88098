"""Reads of insights shared by the pages and the API."""
