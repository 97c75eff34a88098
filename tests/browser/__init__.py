"""Browser tests: the shell in headless Chromium (``make test-browser``)."""
