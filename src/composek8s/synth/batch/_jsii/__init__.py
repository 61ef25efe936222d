"""The tarball of the ``composek8s-batch`` jsii assembly (built by ``batch/build.py``)."""
