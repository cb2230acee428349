"""Browser tests in real Chromium through Playwright."""
