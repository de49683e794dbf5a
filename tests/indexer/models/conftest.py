"""Model-bundle fixtures for the model runtime tests (exported once per session)."""

from tests.support.fixtures import *  # noqa: F401,F403
