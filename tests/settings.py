"""Test settings: the production settings module, with only what needs TLS or collectstatic
turned off. Environment defaults, not overrides: CI and developers can still set them."""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")

from reanimator.settings import *  # noqa: F403
