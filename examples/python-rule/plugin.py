#!/usr/bin/python3
"""A jwtd authentication-rule plugin written in Python.

It shows that a jwtd plugin is any program speaking hashicorp/go-plugin's
gRPC protocol against the .proto files under sdk/proto, here with Debian's
python3-grpcio, python3-protobuf and python3-cryptography:

  1. serve the jwtd.authrule.v1.AuthRule service and grpc.health.v1.Health
     (status SERVING for the service name "plugin", which go-plugin checks);
  2. with AutoMTLS (jwtd always uses it) take the host's certificate from
     PLUGIN_CLIENT_CERT, make a self-signed certificate of our own for
     "localhost", require and verify the host's certificate on every
     connection, and hand ours back in the handshake line;
  3. print the handshake line on stdout, and nothing else there:
       1|APP-VERSION|tcp|127.0.0.1:PORT|grpc|BASE64-DER-CERT
  4. log to stderr, and exit when jwtd is gone.

The rule: a user may authenticate while active and while the domain of their
email address is one of the configured `allowed_domains`. The address is the
"email" attribute, or the username itself for a user without one (users who
log in with their email address).

The Python stubs are generated from sdk/proto into ./gen by `make` (see the
README); this file finds them beside itself.
"""

import base64
import datetime
import json
import os
import signal
import sys
import threading
from concurrent import futures

# realpath: jwtd runs a pinned (sha256) script as /proc/self/fd/N, which
# resolves to the script itself.
HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(HERE, "gen"))

try:
    import grpc
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    from jwtd.authrule.v1 import authrule_pb2, authrule_pb2_grpc
    from jwtd.common.v1 import common_pb2, common_pb2_grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from go_plugin import grpc_controller_pb2, grpc_controller_pb2_grpc
except ImportError as e:
    # Said before the handshake, so jwtd reports it as the reason the plugin
    # did not start.
    print(json.dumps({"@level": "error", "@message": "python-rule cannot start: %s (%s); install Debian's "
                      "python3-grpcio python3-protobuf python3-cryptography, and run gen.sh for ./gen"
                      % (e, sys.executable)}), file=sys.stderr, flush=True)
    sys.exit(1)

# The handshake jwtd's host expects (plugin.Handshake in
# sdk/wire/kinds.go): the magic cookie, a guard against running the
# plugin by hand, and the plugin protocol version (1: the v1 proto packages).
MAGIC_COOKIE_KEY = "JWTD_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "5f2c3d0e-jwtd-plugin-protocol"
PROTOCOL_VERSION = 1
# Each kind this plugin serves, with the protocol versions of that kind it
# speaks (the host checks them through PluginInfo.Describe before using the
# kind): the jwtd.authrule.v1 service.
KIND_VERSIONS = {"auth_rule": [1]}
# go-plugin's own protocol version; only 1 exists.
CORE_PROTOCOL_VERSION = 1
# Config keys this rule accepts; any other is refused, as sdk.Config.Decode
# does for Go plugins, so that a typo in jwtd.toml is a start-up error.
CONFIG_KEYS = {"allowed_domains"}


# The lowest level worth logging, as the host asks (plugin.EnvLogLevel).
LEVELS = ["trace", "debug", "info", "warn", "error"]
_env_level = os.environ.get("JWTD_PLUGIN_LOG_LEVEL", "info").lower()
MIN_LEVEL = LEVELS.index(_env_level) if _env_level in LEVELS else LEVELS.index("info")


def log(level, msg, **fields):
    """Writes one JSON log line to stderr, the form jwtd shows with levels."""
    if LEVELS.index(level) < MIN_LEVEL:
        return
    entry = {"@level": level, "@message": msg}
    entry.update(fields)
    print(json.dumps(entry), file=sys.stderr, flush=True)


class ConfigError(ValueError):
    pass


def parse_config(raw):
    """Returns the set of allowed domains from a ConfigureRequest's JSON."""
    try:
        cfg = json.loads(raw) if raw else {}
    except ValueError as e:
        raise ConfigError("config is not a JSON object: %s" % e)
    if not isinstance(cfg, dict):
        raise ConfigError("config is not a JSON object")
    unknown = sorted(set(cfg) - CONFIG_KEYS)
    if unknown:
        raise ConfigError("unknown key %r" % unknown[0])
    domains = cfg.get("allowed_domains")
    if not isinstance(domains, list) or not domains:
        raise ConfigError('"allowed_domains" must be a non-empty list of domains')
    out = set()
    for d in domains:
        if not isinstance(d, str) or not d.strip() or "@" in d:
            raise ConfigError('"allowed_domains" holds %r, not a domain' % (d,))
        out.add(d.strip().lower())
    return out


def allowed(domains, user):
    """The rule itself: active, with an email in one of the domains."""
    if not user.is_active:
        return False
    try:
        attrs = json.loads(user.attributes_json) if user.attributes_json else {}
    except ValueError:
        return False  # unreadable attributes never let anyone in
    email = attrs.get("email") if isinstance(attrs, dict) else None
    if email is None:
        email = user.username
    if not isinstance(email, str) or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    return bool(local) and domain.lower() in domains


class AuthRule(authrule_pb2_grpc.AuthRuleServicer):
    """jwtd.authrule.v1.AuthRule: Configure once, then Allow."""

    def __init__(self):
        self._lock = threading.Lock()
        self._domains = None

    def Configure(self, request, context):
        try:
            domains = parse_config(request.config_json)
        except ConfigError as e:
            # INVALID_ARGUMENT is sdk.ErrInvalidConfig on the host side: jwtd
            # refuses to start and names this plugin.
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          "jwtd: invalid plugin config: python-rule: %s" % e)
        with self._lock:
            self._domains = domains
        log("info", "configured", allowed_domains=sorted(domains))
        return common_pb2.ConfigureResponse(capabilities=["ping"])

    def _configured(self, context):
        with self._lock:
            domains = self._domains
        if domains is None:
            # FAILED_PRECONDITION reads as "unavailable" on the host: the
            # request fails closed.
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "auth_rule not configured")
        return domains

    def Ping(self, request, context):
        self._configured(context)
        return common_pb2.PingResponse()

    def Allow(self, request, context):
        domains = self._configured(context)
        return authrule_pb2.AllowResponse(allowed=allowed(domains, request.user))


class PluginInfo(common_pb2_grpc.PluginInfoServicer):
    """jwtd.common.v1.PluginInfo: the kinds served and their versions."""

    def Describe(self, request, context):
        return common_pb2.DescribeResponse(kinds=[
            common_pb2.KindVersions(kind=k, versions=v) for k, v in sorted(KIND_VERSIONS.items())])


class Health(health_pb2_grpc.HealthServicer):
    """grpc.health.v1.Health: go-plugin pings the service named "plugin"."""

    def Check(self, request, context):
        if request.service not in ("", "plugin"):
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service %r" % request.service)
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    """go-plugin's plugin.GRPCController: the host asks the plugin to exit
    when it closes it; without this it waits two seconds and kills it."""

    def __init__(self, done):
        self._done = done

    def Shutdown(self, request, context):
        log("info", "host asked to shut down")
        self._done.set()
        return grpc_controller_pb2.Empty()


def self_signed_cert():
    """Makes the plugin's AutoMTLS certificate as go-plugin's Go servers do:
    self-signed, for "localhost", usable for client and server auth. Returns
    (cert PEM, key PEM, cert DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jwtd python-rule")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_agreement=True,
                                         key_cert_sign=True, content_commitment=False, data_encipherment=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (cert.public_bytes(serialization.Encoding.PEM), key_pem,
            cert.public_bytes(serialization.Encoding.DER))


def negotiate_version():
    """Picks the protocol version from the host's offer."""
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "")
    versions = {int(v) for v in offered.split(",") if v.strip().isdigit()}
    if versions and PROTOCOL_VERSION not in versions:
        log("error", "host offers no protocol version this plugin speaks",
            offered=offered, supported=PROTOCOL_VERSION)
        sys.exit(1)
    return PROTOCOL_VERSION


def main():
    parent = os.getppid()
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print("This is a jwtd plugin: name it in jwtd.toml under "
              "[plugins.auth_rule] use = ...; it is not run by hand.", file=sys.stderr)
        sys.exit(1)
    version = negotiate_version()

    done = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    authrule_pb2_grpc.add_AuthRuleServicer_to_server(AuthRule(), server)
    common_pb2_grpc.add_PluginInfoServicer_to_server(PluginInfo(), server)
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(done), server)

    # jwtd always uses AutoMTLS. Without the host's certificate the plugin
    # refuses to serve rather than answer anyone on the machine in the clear.
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT", "")
    if not client_cert:
        log("error", "no PLUGIN_CLIENT_CERT: the host did not ask for AutoMTLS; refusing to serve without it")
        sys.exit(1)
    cert_pem, key_pem, cert_der = self_signed_cert()
    creds = grpc.ssl_server_credentials(
        [(key_pem, cert_pem)], root_certificates=client_cert.encode(), require_client_auth=True)
    port = server.add_secure_port("127.0.0.1:0", creds)
    # go-plugin reads the raw (unpadded) standard base64 of the DER.
    cert_field = base64.b64encode(cert_der).decode().rstrip("=")
    if port == 0:
        log("error", "could not listen on 127.0.0.1")
        sys.exit(1)
    server.start()

    line = "%d|%d|tcp|127.0.0.1:%d|grpc|%s" % (CORE_PROTOCOL_VERSION, version, port, cert_field)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

    def stop(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, stop)
    # go-plugin hosts forward Ctrl-C to the whole process group and stop the
    # plugin themselves; ignore SIGINT as Go plugins do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Wait with a timeout, never indefinitely: Python runs signal handlers
    # only in the main thread between waits, and the loop also notices when
    # jwtd is gone, even after a SIGKILL of jwtd: the plugin is then
    # re-parented, so its parent pid changes.
    while not done.wait(0.25):
        if os.getppid() != parent:
            log("info", "host is gone; exiting")
            break
    # A short grace lets the reply to Shutdown reach the host.
    server.stop(grace=0.2).wait()
    # Exit at once: the gRPC worker threads would otherwise be joined at
    # interpreter exit, which can take seconds.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
