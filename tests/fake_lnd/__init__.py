"""A fake LND for tests: a real gRPC server over TLS built from ``payments.lnrpc``'s stubs."""

from tests.fake_lnd.server import FakeLnd

__all__ = ["FakeLnd"]
