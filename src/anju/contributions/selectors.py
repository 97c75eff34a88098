"""Reads of contributions shared by the pages and the API."""
