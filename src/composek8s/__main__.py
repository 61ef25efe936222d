"""``python -m composek8s``: the same as the ``composek8s`` command."""
from .cli import run

run()
