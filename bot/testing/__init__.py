"""A fake Telegram Bot API server and update factories, for tests, benchmarks and image checks.

Like `django.test`, this ships with the package so that the test suite, the burst benchmark
and the container check drive the real bot the same way; serving never imports it.
"""
