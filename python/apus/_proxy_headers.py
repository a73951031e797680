"""`X-Forwarded-Proto` and `X-Forwarded-For` from a trusted proxy, as uvicorn reads them
(`--proxy-headers`, on by default, trusting `--forwarded-allow-ips`, by default
`$FORWARDED_ALLOW_IPS` or 127.0.0.1 and ::1): the scope's `scheme` and `client` then name the
connecting client rather than the proxy, so `request.url`, `url_for` and HTTPS redirects are
right behind a TLS-terminating proxy.

Trusted: addresses, networks (`10.0.0.0/8`) and other literals, comma-separated, or `*`. The
client is the first untrusted address from the right of `X-Forwarded-For` (each proxy appends
one), with its port when it names one, else 0."""
import functools
import ipaddress

_SCHEMES = frozenset(("http", "https", "ws", "wss"))


class ProxyHeaders:
    __slots__ = ("always", "literals", "addresses", "networks", "_trusts")

    def __init__(self, trusted):
        items = [item.strip() for item in trusted.split(",")] if isinstance(trusted, str) else list(trusted)
        self.always = "*" in items
        self.literals = set()
        self.addresses = set()
        self.networks = set()
        for item in items:
            try:
                if "/" in item:
                    self.networks.add(ipaddress.ip_network(item))
                else:
                    self.addresses.add(ipaddress.ip_address(item))
            except ValueError:
                self.literals.add(item)
        self._trusts = functools.lru_cache(maxsize=4096)(self._compute_trust)

    def trusts(self, host):
        if self.always:
            return True
        if not host:
            return False
        return self._trusts(host) if len(host) <= 253 else self._compute_trust(host)

    def _compute_trust(self, host):
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.literals
        return address in self.addresses or any(address in network for network in self.networks)

    def apply(self, scope):
        """Rewrites `scheme` and `client` of an `http` scope from a trusted peer's headers."""
        client = scope.get("client")
        if not self.trusts(client[0] if client else None):
            return
        proto = None
        forwarded_for = []
        for name, value in scope["headers"]:
            if name == b"x-forwarded-proto":
                proto = value
            elif name == b"x-forwarded-for":
                forwarded_for.append(value)
        if proto is not None:
            scheme = proto.decode("latin-1").strip()
            if scheme in _SCHEMES:
                scope["scheme"] = scheme
        if forwarded_for:
            host, port = self._client(b", ".join(forwarded_for).decode("latin-1"))
            if host:
                scope["client"] = (host, port)

    def _client(self, forwarded_for):
        hosts = [item.strip() for item in forwarded_for.split(",")]
        if self.always:
            return _host_port(hosts[0])
        for item in reversed(hosts):
            host, port = _host_port(item)
            if not self.trusts(host):
                return host, port
        # Every hop is trusted: the first one is the client.
        return _host_port(hosts[0])


def _host_port(value):
    """`host`, `host:port` or `[v6]:port`; anything malformed is the host, with port 0."""
    if value.startswith("["):
        end = value.find("]")
        if end == -1:
            return value, 0
        host, rest = value[1:end], value[end + 1:]
        if not rest:
            return host, 0
        if not rest.startswith(":"):
            return value, 0
        try:
            return host, int(rest[1:])
        except ValueError:
            return host, 0
    if value.count(":") == 1:
        host, port = value.rsplit(":", 1)
        try:
            return host, int(port)
        except ValueError:
            return value, 0
    return value, 0
