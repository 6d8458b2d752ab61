"""LND's gRPC messages and stubs, generated from the hand-written ``.proto`` subsets beside this file.

The ``*_pb2*.py`` and ``*.pyi`` files are generated: do not edit them, run
``uv run python -m payments.lnrpc.generate`` instead.
"""
