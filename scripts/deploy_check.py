"""`make deploy-check`: build every service's image from deploy/Dockerfile with a real container
engine and start each one the way the prod overlay runs it, against the local stack.

    eval "$(python3 scripts/stack.py env)"; .cache/venv/bin/python scripts/deploy_check.py

1. The engine: Debian's docker.io (scripts/install_container_engine.sh installs it). A daemon
   of our own is started (data and sockets under .cache/deploy-check, no bridge, no iptables;
   overlay2 storage where an overlay can be mounted, else vfs, which runs anywhere but copies
   the whole filesystem at each step) and stopped at the end. An engine given by DOCKER_HOST is
   used instead and left running.
2. The base image: no registry is reachable, so Debian bookworm with python3.11 is made by
   mmdebstrap and imported (cached: the tarball in .cache, the image in the daemon's data).
3. The images: deploy/Dockerfile, FROM that base, pip fed from a wheelhouse built on the host
   (cached, keyed by the packages' pyproject files) and served on 127.0.0.1.
4. Each image runs as the rendered prod overlay says: its user, read-only root filesystem,
   dropped capabilities, no privilege escalation, its emptyDir and Secret volumes, memory limit,
   its environment from the overlay's ConfigMaps plus generated test Secret values. Host
   network; the cluster's host names (Kafka bootstrap, OpenSearch, MongoDB, the services) are
   mapped to 127.0.0.1 and only their ports, the service's own port and the run's topic
   prefix, database and index names are changed, so the local stack stands in for the cluster.
   Kafka is reached over the local broker's SASL (PLAIN) listener: the client's SASL settings
   are exercised, TLS is not (the local broker has no TLS listener).
5. Checks: /healthz and /readyz answer 200, one real authenticated request per service answers
   what it should, and the same request without a token is refused (401).

Exit status: 0 passed, 1 failed, 77 skipped (no container engine can run here; the reason is
printed). Timings of each phase are printed at the end.
"""

import asyncio
import contextlib
import functools
import hashlib
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".cache" / "deploy-check"
KUSTOMIZE = ROOT / ".cache" / "bin" / "kustomize"
SERVICES = ("profile", "scout", "messaging", "events", "notify")
SKIP = 77

# The base image: Debian's python3.11 and what the Dockerfile runs (venv, useradd).
BASE_PACKAGES = ("python3.11", "python3.11-venv", "python-is-python3", "passwd", "ca-certificates")
BASE_SUITE = "bookworm"

TIMINGS: list[tuple[str, float]] = []


class Skip(Exception):
    """No container engine can run on this machine: the check is skipped, saying why."""


@contextlib.contextmanager
def timed(phase: str):
    started = time.monotonic()
    try:
        yield
    finally:
        TIMINGS.append((phase, time.monotonic() - started))


def log(message: str) -> None:
    print(f"deploy-check: {message}", flush=True)


def run(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, text=True, capture_output=True, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed ({result.returncode}):\n{result.stdout[-3000:]}"
                           f"\n{result.stderr[-3000:]}")
    return result


# --- the engine -------------------------------------------------------------------------------

class Engine:
    """A docker daemon of our own, or the one DOCKER_HOST names."""

    def __init__(self) -> None:
        self.own = "DOCKER_HOST" not in os.environ
        self.socket = WORK / "docker.sock"
        self.env = dict(os.environ, DOCKER_BUILDKIT="0")
        if self.own:
            self.env["DOCKER_HOST"] = f"unix://{self.socket}"
        self.process: subprocess.Popen | None = None
        self.exec_root = WORK / "exec"

    def docker(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
        return run("docker", *args, check=check, env=self.env, timeout=timeout)

    def answers(self) -> bool:
        return shutil.which("docker") is not None and self.docker("version", check=False, timeout=20).returncode == 0

    def start(self) -> None:
        if not self.own:
            if not self.answers():
                raise Skip(f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer")
            return
        if os.geteuid() != 0:
            raise Skip("dockerd needs root on this machine and this run is not root")
        if not shutil.which("dockerd") or not shutil.which("docker"):
            raise Skip("dockerd/docker are not installed (scripts/install_container_engine.sh installs docker.io)")
        self.stop_stale()
        WORK.mkdir(parents=True, exist_ok=True)
        self.exec_root.mkdir(exist_ok=True)
        driver = storage_driver()
        log(f"starting dockerd (storage driver {driver})")
        logfile = open(WORK / "dockerd.log", "w")  # noqa: SIM115 -- dockerd writes to it as long as it runs
        self.process = subprocess.Popen(
            ["dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none", f"--storage-driver={driver}",
             f"--data-root={WORK / f'docker-{driver}'}", f"--exec-root={self.exec_root}",
             f"--pidfile={WORK / 'dockerd.pid'}", f"--host=unix://{self.socket}"],
            stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (WORK / "dockerd.log").read_text()[-1500:]
                raise Skip(f"dockerd cannot run on this machine (exit {self.process.returncode}):\n{tail}")
            if self.answers():
                return
            time.sleep(0.5)
        self.stop()
        raise Skip("dockerd did not answer within 60 s (see .cache/deploy-check/dockerd.log)")

    def stop_stale(self) -> None:
        """A daemon a killed run left behind on our socket is stopped first (its pid from our pidfile)."""
        pidfile = WORK / "dockerd.pid"
        if pidfile.is_file():
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                pid = int(pidfile.read_text().strip())
                if "dockerd" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                    os.kill(pid, signal.SIGTERM)
                    for _ in range(100):
                        if not alive(pid):
                            break
                        time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        # the daemon unmounts its namespaces when it stops; one it could not is left to us
        with contextlib.suppress(OSError):
            for line in reversed(Path("/proc/mounts").read_text().splitlines()):
                point = line.split()[1]
                if point.startswith(str(self.exec_root)):
                    subprocess.run(["umount", point], capture_output=True, check=False)


def storage_driver() -> str:
    """overlay2 where the kernel lets us mount an overlay here (fast), else vfs (a full copy per layer)."""
    probe = Path(tempfile.mkdtemp(prefix="overlay-probe-", dir=WORK))
    try:
        for part in ("lower", "upper", "work", "merged"):
            (probe / part).mkdir()
        mounted = subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir={probe / 'lower'},upperdir={probe / 'upper'},workdir={probe / 'work'}", str(probe / "merged")],
            capture_output=True, check=False).returncode == 0
        if mounted:
            subprocess.run(["umount", str(probe / "merged")], capture_output=True, check=False)
        return "overlay2" if mounted else "vfs"
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


# --- the base image ---------------------------------------------------------------------------

def base_image(engine: Engine) -> str:
    key = hashlib.sha256(" ".join((BASE_SUITE, *BASE_PACKAGES)).encode()).hexdigest()[:12]
    tag = f"tsunagu-base:{BASE_SUITE}-{key}"
    if engine.docker("image", "inspect", tag, check=False).returncode == 0:
        return tag
    tarball = WORK / f"base-{BASE_SUITE}-{key}.tar"
    if not tarball.is_file():
        if not shutil.which("mmdebstrap"):
            raise Skip("mmdebstrap is not installed (scripts/install_container_engine.sh installs it)")
        log(f"building the base image with mmdebstrap ({', '.join(BASE_PACKAGES)}) ...")
        partial = tarball.with_suffix(".partial.tar")
        run("mmdebstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
            # no apt lists and caches in the image; docs and man pages are of no use there
            "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
            "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*",
            BASE_SUITE, str(partial), timeout=1800)
        partial.rename(tarball)
    engine.docker("import", "--change", "ENV LANG=C.UTF-8", str(tarball), tag)
    return tag


# --- the wheelhouse ---------------------------------------------------------------------------

LOCAL_PACKAGES = ("contracts", "shared", *(f"services/{s}" for s in SERVICES))


def third_party_requirements() -> list[str]:
    """The dependencies our packages declare, minus our own packages (the image builds those)."""
    import tomllib

    found = set()
    for package in LOCAL_PACKAGES:
        for requirement in tomllib.loads((ROOT / package / "pyproject.toml").read_text())["project"]["dependencies"]:
            if not requirement.lower().startswith("tsunagu-"):
                found.add(requirement)
    return sorted(found)


def wheelhouse() -> Path:
    """Wheels of every third-party package the images install (and of the build backend of ours),
    resolved together once for these requirements and kept until they change."""
    requirements = [*third_party_requirements(), "setuptools>=68", "wheel"]
    digest = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()[:12]
    target = WORK / f"wheels-{digest}"
    if (target / ".complete").is_file():
        return target
    log(f"building the wheelhouse ({len(requirements)} requirements; first run, or they changed) ...")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    run(sys.executable, "-m", "pip", "-q", "--disable-pip-version-check", "wheel", "-w", str(target),
        *requirements, timeout=1800)
    for old in WORK.glob("wheels-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    (target / ".complete").touch()
    return target


def wheelhouse_port() -> int:
    """A port of this stack's block (services use PORT_BASE+1..5): the same every run, since the
    wheelhouse address is a build argument and so part of the build cache's key."""
    return int(os.environ.get("TSUNAGU_PORT_BASE", "8000")) + 9


@contextlib.contextmanager
def served(directory: Path):
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", wheelhouse_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


# --- the images -------------------------------------------------------------------------------

def build_images(engine: Engine, base: str, wheels_url: str) -> dict[str, str]:
    images = {}
    for service in SERVICES:
        tag = f"tsunagu/{service}:deploy-check"
        started = time.monotonic()
        engine.docker("build", "--network=host", "-f", str(ROOT / "deploy" / "Dockerfile"),
                      "--build-arg", f"BASE_IMAGE={base}", "--build-arg", f"SERVICE={service}",
                      "--build-arg", f"PIP_FIND_LINKS={wheels_url}", "--build-arg", "PIP_NO_INDEX=1",
                      "-t", tag, str(ROOT), timeout=1800)
        log(f"built {tag} in {time.monotonic() - started:.0f} s")
        images[service] = tag
    return images


# --- the overlay ------------------------------------------------------------------------------

def rendered(overlay: str = "prod") -> list[dict]:
    if not KUSTOMIZE.is_file():
        raise RuntimeError(f"{KUSTOMIZE} is missing: run scripts/install_deploy_tools.sh")
    text = run(str(KUSTOMIZE), "build", str(ROOT / "deploy" / "overlays" / overlay), timeout=120).stdout
    return [d for d in yaml.safe_load_all(text) if d]


def find(docs: list[dict], kind: str, name: str) -> dict:
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


class TestSecrets:
    """A generated value for every Secret key the overlay references (never committed, new each run)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, name: str, key: str) -> str:
        """A value of the shape the key names (a port is a number, a host a name), else a random token."""
        # a host is a real-looking name no request of the check reaches (production refuses
        # placeholder domains such as .invalid)
        shaped = {"port": "587", "host": f"{name}.deploy-check.tsunagu.jp"}
        kind = key.lower().rsplit("-", 1)[-1].rsplit("_", 1)[-1]
        return self.values.setdefault((name, key), shaped.get(kind) or secrets.token_urlsafe(36))

    def files(self, name: str, items: list[dict] | None, into: Path) -> Path:
        into.mkdir(parents=True, exist_ok=True)
        for item in items or [{"key": "value", "path": "value"}]:
            path = into / item.get("path", item["key"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.get(name, item["key"]))
            path.chmod(0o444)
        into.chmod(0o755)
        return into


class Local:
    """The local stack, standing in for the cluster's services (addresses from `stack.py env`)."""

    def __init__(self) -> None:
        env = os.environ
        self.kafka_port = int(env["TSUNAGU_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])
        self.kafka_sasl_port = int(env.get("TSUNAGU_KAFKA_SASL_PLAIN_BOOTSTRAP", f"x:{self.kafka_port + 2}")
                                   .rsplit(":", 1)[1])
        self.kafka_user = ("operator", "operator-dev-password")  # the local broker's SASL/PLAIN user
        self.mongo = urlsplit(env["TSUNAGU_MONGO_URL"])
        self.opensearch_port = urlsplit(env["TSUNAGU_OPENSEARCH_URL"]).port
        base = int(env.get("TSUNAGU_DEPLOY_CHECK_PORT_BASE", "0")) or free_port_block(len(SERVICES))
        self.ports = {service: base + i for i, service in enumerate(SERVICES)}
        self.run_id = f"dc{uuid.uuid4().hex[:8]}"
        self.prefix = f"{self.run_id}."
        self.identity = None  # the emulated identity provider, once started (IdentityProvider)


class IdentityProvider:
    """The emulated OpenID Connect issuer (tsunagu_emulators.oidc) under the overlay's issuer host
    name, served over HTTP on a free port from a thread of its own: people's tokens come from it,
    as production accepts shared-secret tokens only for the services' own calls."""

    def __init__(self, issuer: str) -> None:
        from aiohttp import web
        from tsunagu_emulators.oidc import Provider, oidc_app

        self.port = free_port_block(1)
        self.issuer = f"http://{urlsplit(issuer).hostname}:{self.port}"
        self.provider = Provider(issuer=self.issuer)
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(oidc_app(self.provider), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def token(self, who: dict, audience: str | None) -> str:
        claims = {"sub": who["subject"], "role": who["role"], **({"company_id": who["company_id"]}
                                                                  if who.get("company_id") else {})}
        return self.provider.token(claims, audience=audience)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def free_port_block(count: int) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            start = probe.getsockname()[1]
        if start + count < 65000 and all(port_free(start + i) for i in range(count)):
            return start
    raise RuntimeError("no free block of ports")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def with_port(url: str, host: str, port: int) -> str:
    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    moved = urlunsplit((parts.scheme, f"{auth}{host}:{port}", parts.path, parts.query, parts.fragment))
    return moved if "://" in url else moved.removeprefix("tcp://")


def container_spec(docs: list[dict], service: str, local: Local, secrets_: TestSecrets, scratch: Path):
    """docker run options and environment for one service, from its Deployment in the overlay."""
    deployment = find(docs, "Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    options = _security_options(service, pod, container)
    options += _volume_options(service, pod, container, secrets_, scratch)
    env = _environment(docs, service, container, secrets_)
    hosts = _point_at_local(env, service, local)
    options += [f"--add-host={host}:127.0.0.1" for host in sorted(hosts)]
    return options, env


def _security_options(service: str, pod: dict, container: dict) -> list[str]:
    """The pod's and container's security context, as docker run options."""
    sc = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    options = ["--network=host", f"--user={sc['runAsUser']}:{sc.get('runAsGroup', sc['runAsUser'])}"]
    if sc.get("readOnlyRootFilesystem"):
        options.append("--read-only")
    for cap in sc.get("capabilities", {}).get("drop", []):
        options.append(f"--cap-drop={cap}")
    for cap in sc.get("capabilities", {}).get("add", []):
        options.append(f"--cap-add={cap}")
    if sc.get("allowPrivilegeEscalation") is False:
        options.append("--security-opt=no-new-privileges")
    if sc.get("privileged"):
        raise RuntimeError(f"{service} asks for a privileged container")
    memory = container.get("resources", {}).get("limits", {}).get("memory")
    if memory:
        options.append(f"--memory={memory.replace('Mi', 'm').replace('Gi', 'g')}")
    return options


def _volume_options(service: str, pod: dict, container: dict, secrets_: TestSecrets, scratch: Path) -> list[str]:
    """The container's mounts: an emptyDir as a tmpfs, a Secret as read-only files written for the test."""
    options = []
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "emptyDir" in volume:
            size = volume["emptyDir"].get("sizeLimit", "64Mi").replace("Mi", "m").replace("Gi", "g")
            options.append(f"--tmpfs={mount['mountPath']}:rw,size={size},mode=1777")
        elif "secret" in volume:
            source = secrets_.files(volume["secret"]["secretName"], volume["secret"].get("items"),
                                    scratch / service / mount["name"])
            options.append(f"--volume={source}:{mount['mountPath']}:ro")
        else:
            raise RuntimeError(f"{service}: volume {mount['name']} of a kind this check does not know")
    return options


def _environment(docs: list[dict], service: str, container: dict, secrets_: TestSecrets) -> dict[str, str]:
    """The container's environment as the overlay gives it (ConfigMaps, Secrets, the downward API)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(find(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
        elif "secretRef" in source:
            raise RuntimeError(f"{service}: envFrom secretRef cannot be generated key by key")
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "configMapKeyRef" in (ref := item.get("valueFrom", {})):
            env[item["name"]] = find(docs, "ConfigMap", ref["configMapKeyRef"]["name"])["data"][
                ref["configMapKeyRef"]["key"]]
        elif "secretKeyRef" in ref:
            env[item["name"]] = secrets_.get(ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
        elif "fieldRef" in ref:
            env[item["name"]] = {"metadata.name": f"{service}-deploy-check",
                                 "metadata.namespace": "tsunagu"}.get(ref["fieldRef"]["fieldPath"], "deploy-check")
    return env


def _point_at_local(env: dict[str, str], service: str, local: Local) -> set[str]:
    """Point the cluster's addresses in `env` at the local stack; the cluster host names they keep."""
    hosts = set()
    bootstrap_host = env["TSUNAGU_KAFKA_BOOTSTRAP"].split(",")[0].rsplit(":", 1)[0]
    hosts.add(bootstrap_host)
    env["TSUNAGU_KAFKA_BOOTSTRAP"] = f"{bootstrap_host}:{local.kafka_sasl_port}"
    # the local broker's SASL listener is PLAIN without TLS; the cluster's is SCRAM over TLS
    env.update(TSUNAGU_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", TSUNAGU_KAFKA_SASL_MECHANISM="PLAIN",
               TSUNAGU_KAFKA_SASL_USERNAME=local.kafka_user[0], TSUNAGU_KAFKA_SASL_PASSWORD=local.kafka_user[1])
    env.pop("TSUNAGU_KAFKA_SSL_CAFILE", None)
    if "TSUNAGU_OIDC_ISSUER" in env and local.identity is not None:
        # the company's identity provider: the emulated one, under the overlay's host name
        hosts.add(urlsplit(env["TSUNAGU_OIDC_ISSUER"]).hostname)
        env["TSUNAGU_OIDC_ISSUER"] = local.identity.issuer
    if "TSUNAGU_OPENSEARCH_URL" in env:
        host = urlsplit(env["TSUNAGU_OPENSEARCH_URL"]).hostname
        hosts.add(host)
        env["TSUNAGU_OPENSEARCH_URL"] = with_port(env["TSUNAGU_OPENSEARCH_URL"], host, local.opensearch_port)
    # the MongoDB connection string is a Secret in the cluster: the local FerretDB under a cluster-like name
    hosts.add("tsunagu-mongodb")
    env["TSUNAGU_MONGO_URL"] = urlunsplit((local.mongo.scheme, f"tsunagu-mongodb:{local.mongo.port}",
                                           local.mongo.path or "/", local.mongo.query, ""))
    for other in SERVICES:
        key = f"TSUNAGU_{other.upper()}_URL"
        if key in env:
            host = urlsplit(env[key]).hostname
            hosts.add(host)
            env[key] = with_port(env[key], host, local.ports[other])
    env.update(TSUNAGU_HTTP_PORT=str(local.ports[service]), TSUNAGU_TOPIC_PREFIX=local.prefix,
               TSUNAGU_MONGO_DB=f"{local.run_id}_{service}", TSUNAGU_SEARCH_INDEX_PREFIX=local.prefix,
               TSUNAGU_SEARCH_REPLICAS="0")
    return hosts


# --- the checks -------------------------------------------------------------------------------

def call(method: str, url: str, *, token: str | None = None, body: dict | None = None,
         timeout: float = 10) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, str(error)


def requests_of(service: str) -> list[tuple[str, str, dict | None, dict, int]]:
    """(method, path, body, who, expected status): one real authenticated request (a write and its
    read for profile and scout), which also gets 401 without a token."""
    candidate = {"role": "candidate", "subject": "cand-deploy-check"}
    admin = {"role": "admin", "subject": "admin-deploy-check"}
    return {
        "profile": [("POST", "/profiles/me", {"display_name": "Deploy check"}, candidate, 201),
                    ("GET", "/profiles/me", None, candidate, 200)],
        "scout": [("POST", "/admin/companies", {"company_id": "co-deploy-check", "name": "Deploy check Inc.",
                                                "plan": {"name": "standard", "max_awaiting": 5,
                                                         "monthly_quota": {"regular": 1, "premium": 0}}}, admin, 201),
                  ("GET", "/admin/companies/co-deploy-check", None, admin, 200)],
        "messaging": [("GET", "/threads", None, candidate, 200)],
        "events": [("GET", "/events", None, candidate, 200)],
        "notify": [("GET", "/recipients/cand-deploy-check/decisions", None, candidate, 200)],
    }[service]


def token_for(env: dict[str, str], who: dict, local: "Local") -> str:
    from tsunagu_shared.auth import issue_token
    from tsunagu_shared.settings import ServiceSettings

    roles = json.loads(env.get("TSUNAGU_SHARED_SECRET_ROLES", '["candidate", "recruiter", "admin", "service"]'))
    if who["role"] not in roles and local.identity is not None:
        return local.identity.token(who, env.get("TSUNAGU_JWT_AUDIENCE"))

    # the same secret, issuer and audience the container reads from its environment
    settings = ServiceSettings(jwt_secret=env["TSUNAGU_JWT_SECRET"],
                               **{k: env[f"TSUNAGU_JWT_{k.upper()}"] for k in ("issuer", "audience")
                                  if f"TSUNAGU_JWT_{k.upper()}" in env})
    return issue_token(settings, **who)


def wait_healthy(url: str, seconds: float, container: str, engine: Engine) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, _ = call("GET", url, timeout=2)
        if status == 200:
            return
        state = engine.docker("inspect", "-f", "{{.State.Running}}", container, check=False).stdout.strip()
        if state == "false":
            raise RuntimeError(f"{container} exited:\n{logs(engine, container)}")
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {seconds:.0f} s:\n{logs(engine, container)}")


def logs(engine: Engine, container: str) -> str:
    result = engine.docker("logs", "--tail", "60", container, check=False)
    return (result.stdout + result.stderr)[-4000:]


def check_service(service: str, env: dict[str, str], local: Local, engine: Engine, container: str) -> list[str]:
    base = f"http://127.0.0.1:{local.ports[service]}"
    wait_healthy(f"{base}/healthz", 120, container, engine)
    problems = []
    deadline = time.monotonic() + 60
    while (status := call("GET", f"{base}/readyz")[0]) != 200 and time.monotonic() < deadline:
        time.sleep(1)
    if status != 200:
        problems.append(f"{service}: /readyz answered {status}")
    for method, path, body, who, expected in requests_of(service):
        status, text = call(method, base + path, token=token_for(env, who, local), body=body)
        if status != expected:
            problems.append(f"{service}: {method} {path} answered {status}, expected {expected}: {text[:300]}")
        anonymous, _ = call(method, base + path, body=body)
        if anonymous != 401:
            problems.append(f"{service}: {method} {path} without a token answered {anonymous}, expected 401")
    user = engine.docker("exec", container, "id", "-u", check=False).stdout.strip()
    if user != env.get("_uid"):
        problems.append(f"{service}: runs as uid {user!r}, the overlay says {env.get('_uid')}")
    writable = engine.docker("exec", container, "sh", "-c", "touch /opt/venv/x 2>/dev/null && echo yes || echo no",
                             check=False).stdout.strip()
    if writable != "no":
        problems.append(f"{service}: the root filesystem is writable")
    return problems


async def prepare_topics(local: Local) -> None:
    from tsunagu_shared.kafka.admin import ensure_topics, wanted_topics

    await ensure_topics(os.environ["TSUNAGU_KAFKA_BOOTSTRAP"], wanted_topics(prefix=local.prefix, partitions=2))


async def clean_up_data(local: Local) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient

    with contextlib.suppress(Exception):
        admin = AIOKafkaAdminClient(bootstrap_servers=os.environ["TSUNAGU_KAFKA_BOOTSTRAP"])
        await admin.start()
        try:
            topics = [t for t in await admin.list_topics() if t.startswith(local.prefix)]
            if topics:
                await admin.delete_topics(topics)
        finally:
            await admin.close()
    with contextlib.suppress(Exception):
        client = AsyncMongoClient(os.environ["TSUNAGU_MONGO_URL"], serverSelectionTimeoutMS=5000)
        for name in await client.list_database_names():
            if name.startswith(local.run_id):
                await client.drop_database(name)
        await client.close()
    with contextlib.suppress(Exception):
        request = urllib.request.Request(f"{os.environ['TSUNAGU_OPENSEARCH_URL']}/{local.prefix}*", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()


def start_and_check(engine: Engine, images: dict[str, str], local: Local) -> list[str]:
    docs = rendered("prod")
    secrets_ = TestSecrets()
    problems: list[str] = []
    asyncio.run(prepare_topics(local))
    issuers = {c["data"]["TSUNAGU_OIDC_ISSUER"] for c in docs
               if c["kind"] == "ConfigMap" and "TSUNAGU_OIDC_ISSUER" in c.get("data", {})}
    local.identity = IdentityProvider(issuers.pop()) if issuers else None
    with tempfile.TemporaryDirectory(prefix="deploy-check-", dir=WORK) as scratch:
        specs = {}
        for service in SERVICES:
            options, env = container_spec(docs, service, local, secrets_, Path(scratch))
            envfile = Path(scratch) / f"{service}.env"
            envfile.write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
            uid = options[1].split("=", 1)[1].split(":")[0]
            specs[service] = (options, {**env, "_uid": uid}, envfile)
        names = {s: f"{local.run_id}-{s}" for s in SERVICES}
        try:
            for service in SERVICES:  # profile first: messaging calls it
                options, env, envfile = specs[service]
                engine.docker("run", "-d", f"--name={names[service]}", *options, f"--env-file={envfile}",
                              images[service])
            for service in SERVICES:
                options, env, _ = specs[service]
                try:
                    found = check_service(service, env, local, engine, names[service])
                except RuntimeError as error:
                    found = [f"{service}: {error}"]
                problems += found
                log(f"{service}: {'ok' if not found else 'FAILED'} (healthz, readyz, authenticated request, "
                    f"uid {env['_uid']}, read-only root)")
            if problems:
                for service in SERVICES:
                    print(f"--- logs of {service} ---\n{logs(engine, names[service])}", flush=True)
        finally:
            engine.docker("rm", "-f", *names.values(), check=False)
            asyncio.run(clean_up_data(local))
            if local.identity is not None:
                local.identity.stop()
    return problems


def main() -> int:
    for needed in ("TSUNAGU_KAFKA_BOOTSTRAP", "TSUNAGU_MONGO_URL", "TSUNAGU_OPENSEARCH_URL"):
        if needed not in os.environ:
            print(f"deploy-check: {needed} is not set: start the stack and eval \"$(python3 scripts/stack.py env)\"")
            return 1
    WORK.mkdir(parents=True, exist_ok=True)
    engine = Engine()
    started = time.monotonic()
    try:
        with timed("engine start"):
            engine.start()
        with timed("base image"):
            base = base_image(engine)
        with timed("wheelhouse"):
            wheels = wheelhouse()
        with timed("image builds"), served(wheels) as url:
            images = build_images(engine, base, url)
        local = Local()
        with timed("start and check"):
            problems = start_and_check(engine, images, local)
        # images of earlier runs that a new build replaced: the data root must not grow run after run.
        # Only a day old: the build stage's steps are untagged images too, and are the next run's cache.
        engine.docker("image", "prune", "-f", "--filter", "until=24h", check=False)
    except Skip as reason:
        print(f"deploy-check: SKIPPED: {reason}", flush=True)
        return SKIP
    finally:
        with timed("engine stop"):
            engine.stop()
        print("deploy-check timings: " + ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in TIMINGS)
              + f"; total {time.monotonic() - started:.0f} s", flush=True)
    if problems:
        print("deploy-check: FAILED\n  " + "\n  ".join(problems), flush=True)
        return 1
    print(f"deploy-check: passed: {len(SERVICES)} images built and started as the prod overlay runs them", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
