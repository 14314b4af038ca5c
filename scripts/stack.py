#!/usr/bin/env python3
"""Install, start, wait for and stop Tsunagu's local stack (stdlib only).

    python3 scripts/stack.py install            # Kafka and OpenSearch jars (Maven), FerretDB (Go), in .cache/
    python3 scripts/stack.py up kafka ferretdb  # start and wait for readiness
    python3 scripts/stack.py up all             # infrastructure, emulators and the five services
    python3 scripts/stack.py status
    python3 scripts/stack.py down               # stop everything this state directory started

Ports and the state directory come from the environment, so two stacks can
run side by side (`make test` uses its own): TSUNAGU_STATE_DIR, TSUNAGU_KAFKA_PORT
(Kafka also takes the next two ports: its controller and a SASL/PLAIN listener),
TSUNAGU_MONGO_PORT, TSUNAGU_POSTGRES_PORT, TSUNAGU_OPENSEARCH_PORT (HTTP; transport on
the next port), TSUNAGU_PORT_BASE (services), TSUNAGU_EMULATOR_PORT_BASE.

The database is FerretDB (MongoDB wire protocol) built with our patches
(infra/ferretdb/patches) on SQLite, or on PostgreSQL with TSUNAGU_DB_BACKEND=postgresql
(it also pushes equality filters on other fields down to SQL, but needs a system
package). PostgreSQL runs with fsync off: this stack is for development and tests only.

OpenSearch (the read side: search and lists) runs from Maven Central's jars as one
node, security off, on 127.0.0.1. It refuses to run as root: started by root (CI,
containers), it runs as the system user tsunagu-search, created when missing.
"""

import base64
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
VENV_PY = CACHE / "venv" / "bin" / "python"
KAFKA_LIBS = CACHE / "kafka" / "libs"
FERRETDB_BIN = CACHE / "bin" / "ferretdb"
OPENSEARCH_HOME = CACHE / "opensearch"
SEARCH_USER = "tsunagu-search"

SERVICES = ("profile", "scout", "messaging", "events", "notify")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


STATE = Path(os.environ.get("TSUNAGU_STATE_DIR", CACHE / "run" / "dev")).resolve()
KAFKA_PORT = env_int("TSUNAGU_KAFKA_PORT", 19092)
# SASL/PLAIN listener of the same broker (development credentials, not a secret).
KAFKA_SASL_PORT = KAFKA_PORT + 2
KAFKA_SASL_USER = ("operator", "operator-dev-password")
MONGO_PORT = env_int("TSUNAGU_MONGO_PORT", 27027)
POSTGRES_PORT = env_int("TSUNAGU_POSTGRES_PORT", 15432)
OPENSEARCH_PORT = env_int("TSUNAGU_OPENSEARCH_PORT", 19200)
# FerretDB's backend: sqlite (default) or postgresql (see the README's choices).
DB_BACKEND = os.environ.get("TSUNAGU_DB_BACKEND", "sqlite")
PORT_BASE = env_int("TSUNAGU_PORT_BASE", 8000)
EMULATOR_PORT_BASE = env_int("TSUNAGU_EMULATOR_PORT_BASE", 8020)


@dataclass
class Process:
    name: str
    command: list[str]
    port: int
    health_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 90.0
    stop_signal: int = signal.SIGTERM


def stack_env() -> dict[str, str]:
    """What every service and emulator of this stack is told about the others."""
    return {
        "TSUNAGU_KAFKA_BOOTSTRAP": f"127.0.0.1:{KAFKA_PORT}",
        "TSUNAGU_KAFKA_SASL_PLAIN_BOOTSTRAP": f"127.0.0.1:{KAFKA_SASL_PORT}",
        "TSUNAGU_MONGO_URL": f"mongodb://127.0.0.1:{MONGO_PORT}/",
        "TSUNAGU_OPENSEARCH_URL": f"http://127.0.0.1:{OPENSEARCH_PORT}",
        "TSUNAGU_SMTP_PORT": str(EMULATOR_PORT_BASE + 5),
        "TSUNAGU_TWILIO_BASE_URL": f"http://127.0.0.1:{EMULATOR_PORT_BASE + 1}",
        "TSUNAGU_LINE_BASE_URL": f"http://127.0.0.1:{EMULATOR_PORT_BASE + 2}",
        "TSUNAGU_EMULATOR_CONTROL_URL": f"http://127.0.0.1:{EMULATOR_PORT_BASE}",
        # the emulated identity provider recruiters sign in with (the console, and tokens the services verify)
        "TSUNAGU_OIDC_ISSUER": f"http://127.0.0.1:{EMULATOR_PORT_BASE + 3}",
        **{f"TSUNAGU_{s.upper()}_URL": f"http://127.0.0.1:{PORT_BASE + i + 1}" for i, s in enumerate(SERVICES)},
        # where providers (emulated or real) post their webhooks: notify
        "TSUNAGU_PUBLIC_BASE_URL": f"http://127.0.0.1:{PORT_BASE + 5}",
    }


def processes() -> dict[str, Process]:
    table = {
        "kafka": Process(
            "kafka",
            [
                "java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
                f"-Dlog4j.configuration=file:{ROOT / 'infra/kafka/log4j.properties'}",
                "-cp", f"{KAFKA_LIBS}/*", "kafka.Kafka", str(STATE / "kafka" / "server.properties"),
            ],
            KAFKA_PORT,
        ),
        "postgres": Process(
            "postgres",
            [*as_postgres_user(), str(postgres_bin("postgres")), "-D", str(STATE / "postgres"),
             "-p", str(POSTGRES_PORT), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=400"],
            POSTGRES_PORT,
            stop_signal=signal.SIGINT,  # fast shutdown: do not wait for clients to leave
        ),
        "ferretdb": Process(
            "ferretdb",
            [str(FERRETDB_BIN), "--listen-addr", f"127.0.0.1:{MONGO_PORT}", *ferretdb_backend()],
            MONGO_PORT,
        ),
        "opensearch": Process(
            "opensearch",
            [
                *as_search_user(), "java", "-Xms512m", "-Xmx512m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
                # what the distribution's jvm.options sets, which a bare `java` does not read
                "-Dlog4j2.disable.jmx=true", "-Dlog4j.shutdownHookEnabled=false", "-Djna.nosys=true",
                "-Dio.netty.noUnsafe=true", "-Dio.netty.noKeySetOptimization=true",
                "-Dio.netty.recycler.maxCapacityPerThread=0", "-Dfile.encoding=UTF-8",
                "-Djava.locale.providers=SPI,COMPAT", f"-Djava.io.tmpdir={search_state() / 'data'}",
                f"-Dopensearch.path.home={search_home()}", f"-Dopensearch.path.conf={search_state() / 'config'}",
                "-cp", f"{search_home() / 'lib'}/*", "org.opensearch.bootstrap.OpenSearch",
            ],
            OPENSEARCH_PORT,
            # 200 once the node has elected itself and its indexes are allocated; 408 before
            health_url=f"http://127.0.0.1:{OPENSEARCH_PORT}/_cluster/health?wait_for_status=yellow&timeout=1s",
            timeout=240.0,  # ~5 s alone; far longer on a machine busy with other JVMs
        ),
        "emulators": Process(
            "emulators", [str(VENV_PY), "-m", "tsunagu_emulators"], EMULATOR_PORT_BASE,
            health_url=f"http://127.0.0.1:{EMULATOR_PORT_BASE}/healthz",
        ),
    }
    for i, service in enumerate(SERVICES):
        port = PORT_BASE + i + 1
        table[service] = Process(
            service, [str(VENV_PY), "-m", f"tsunagu_{service}"], port,
            health_url=f"http://127.0.0.1:{port}/healthz",
            env={"TSUNAGU_HTTP_PORT": str(port),
                 # the local stack lets admins move notify's clock (the demo's 23:00 scout)
                 **({"TSUNAGU_CLOCK_CONTROL": "true"} if service == "notify" else {})},
        )
    # the thin recruiter console: one page, proxying /api/<service>/ to the services above
    table["console"] = Process(
        "console", [str(VENV_PY), "-m", "tsunagu_console"], PORT_BASE,
        health_url=f"http://127.0.0.1:{PORT_BASE}/healthz", env={"TSUNAGU_CONSOLE_PORT": str(PORT_BASE),
                                                             "TSUNAGU_CONSOLE_PUBLIC_URL": f"http://127.0.0.1:{PORT_BASE}"},
    )
    return table


# --- install ---------------------------------------------------------------

def install() -> None:
    install_kafka()
    install_opensearch()
    install_ferretdb()
    if DB_BACKEND == "postgresql":
        install_postgres()


def install_kafka() -> None:
    if any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
        return
    print("installing Kafka jars from Maven Central ...", flush=True)
    run(["mvn", "-q", "-B", "-f", str(ROOT / "infra/kafka/pom.xml"), "dependency:copy-dependencies",
         f"-DoutputDirectory={KAFKA_LIBS}", "-DincludeScope=runtime"])


def install_opensearch() -> None:
    """The OpenSearch server's jars in lib/, each module's in modules/<name>/ beside our descriptor.

    Maven Central has the server and its modules as jars but no distribution layout, so
    infra/opensearch lays it out: the server (infra/opensearch/pom.xml), then one folder per
    module (infra/opensearch/modules/<name>/pom.xml and its plugin-descriptor.properties).
    """
    source = ROOT / "infra/opensearch"
    files = sorted(f for f in source.rglob("*") if f.is_file() and f.parent != source / "config")
    digest = hashlib.sha256(b"".join(str(f.relative_to(source)).encode() + f.read_bytes() for f in files)).hexdigest()
    stamp = OPENSEARCH_HOME / "installed.sha256"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing OpenSearch jars from Maven Central ...", flush=True)
    if OPENSEARCH_HOME.exists():
        shutil.rmtree(OPENSEARCH_HOME)
    copy_jars(source / "pom.xml", OPENSEARCH_HOME / "lib")
    for module in sorted((source / "modules").iterdir()):
        # a module's pom names only its own jars (the server is "provided"), so none is there twice
        copy_jars(module / "pom.xml", OPENSEARCH_HOME / "modules" / module.name)
        for extra in module.glob("plugin-*"):
            shutil.copy(extra, OPENSEARCH_HOME / "modules" / module.name / extra.name)
    for folder in ("plugins", "bin"):  # the server checks that its home has them
        (OPENSEARCH_HOME / folder).mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)


def copy_jars(pom: Path, into: Path) -> None:
    run(["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={into}",
         "-DincludeScope=runtime"])


def install_ferretdb() -> None:
    """Build infra/ferretdb against FerretDB from the Go module proxy, with our patches applied."""
    source = ROOT / "infra/ferretdb"
    files = sorted(f for f in source.rglob("*") if f.is_file())
    digest = hashlib.sha256(b"".join(str(f.relative_to(source)).encode() + f.read_bytes() for f in files)).hexdigest()
    stamp = FERRETDB_BIN.with_suffix(".sha256")
    if FERRETDB_BIN.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    print("building FerretDB with Go (first time: a few minutes) ...", flush=True)
    env = {**os.environ, "GOPATH": str(CACHE / "go"), "GOCACHE": str(CACHE / "go-build"), "GOFLAGS": "-mod=mod"}
    modfile = patched_ferretdb(source, env)
    run(["go", "build", f"-modfile={modfile}", "-o", str(FERRETDB_BIN), "."], cwd=source, env=env)
    stamp.write_text(digest)


def patched_ferretdb(source: Path, env: dict[str, str]) -> Path:
    """A copy of the FerretDB module with infra/ferretdb/patches applied, and a go.mod that uses it."""
    spec = json.loads((source / "patches/patches.json").read_text())
    module = f"{spec['module']}@{spec['version']}"
    listing = subprocess.run(["go", "mod", "download", "-json", module], cwd=source, env=env,
                             check=True, capture_output=True, text=True)
    copy = CACHE / "ferretdb-src"
    if copy.exists():
        shutil.rmtree(writable(copy))
    writable(shutil.copytree(json.loads(listing.stdout)["Dir"], copy))  # the module cache is read-only
    for edit in spec["edits"]:
        path = copy / edit["file"]
        text = path.read_text()
        if text.count(edit["old"]) != 1:
            sys.exit(f"FerretDB patch does not apply to {edit['file']}: {edit['old']!r} not found exactly once")
        path.write_text(text.replace(edit["old"], edit["new"]))
    build = CACHE / "ferretdb-build"
    build.mkdir(parents=True, exist_ok=True)
    gomod = (source / "go.mod").read_text() + f"\nreplace {spec['module']} => {copy}\n"
    (build / "go.mod").write_text(gomod)
    shutil.copy(source / "go.sum", build / "go.sum")
    return build / "go.mod"


def writable(tree: Path) -> Path:
    """Let us change and delete what is below `tree` (a copy of the read-only Go module cache)."""
    for folder, _, names in os.walk(tree):
        os.chmod(folder, 0o755)
        for name in names:
            os.chmod(os.path.join(folder, name), 0o644)
    return Path(tree)


def ferretdb_backend() -> list[str]:
    if DB_BACKEND == "postgresql":
        return ["--postgresql-url", f"postgres://postgres@127.0.0.1:{POSTGRES_PORT}/postgres?pool_max_conns=200"]
    # synchronous(normal) in WAL mode: a commit survives a crash of any process; only an
    # operating-system crash can lose the last commits. Every small write no longer waits
    # for an fsync (the local and CI stacks; production runs a managed MongoDB).
    return ["--sqlite-url", f"file:{STATE / 'ferretdb'}/?_pragma=synchronous(normal)"]


def install_postgres() -> None:
    """PostgreSQL from the system's packages (the machine image usually has it)."""
    if postgres_bin("postgres").exists():
        return
    print("installing PostgreSQL from the system's packages ...", flush=True)
    run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
    run(["apt-get", "install", "-y", "-q", "postgresql"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL)


def postgres_bin(name: str) -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    if versions:
        return versions[0] / name
    found = shutil.which(name)
    return Path(found) if found else Path("/usr/lib/postgresql/missing/bin") / name


def as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: run it as the system's postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def as_search_user() -> list[str]:
    """OpenSearch refuses to run as root: run it as an unprivileged system user then."""
    return ["runuser", "-u", SEARCH_USER, "--"] if os.geteuid() == 0 else []


# Where the search user works when it cannot reach the clone (a checkout below a folder only its owner
# may enter, e.g. one made by `mktemp -d`): a copy of the distribution and the node's state of its own.
SEARCH_SPARE = Path("/var/lib/tsunagu-search")


def search_user_reaches(path: Path) -> bool:
    if os.geteuid() != 0:
        return True
    if subprocess.run(["id", "-u", SEARCH_USER], capture_output=True).returncode != 0:
        return False  # the user is created by prepare_opensearch; until then nothing is known
    return subprocess.run([*as_search_user(), "test", "-x", str(path)], capture_output=True).returncode == 0


@functools.cache
def search_home() -> Path:
    """The distribution the node runs from: the installed one, or its copy where the user can read it."""
    if search_user_reaches(OPENSEARCH_HOME / "lib"):
        return OPENSEARCH_HOME
    key = hashlib.sha256(str(OPENSEARCH_HOME).encode()).hexdigest()[:12]
    return SEARCH_SPARE / f"opensearch-{key}"


@functools.cache
def search_state() -> Path:
    """The node's configuration, data and logs: in the state directory, or beside the copied distribution."""
    if search_home() == OPENSEARCH_HOME:
        return STATE / "opensearch"
    key = hashlib.sha256(str(STATE).encode()).hexdigest()[:12]
    return SEARCH_SPARE / f"state-{key}"


def prepare_opensearch() -> None:
    """Its configuration, data and logs, owned by the user it runs as; as root, where that user can reach."""
    if os.geteuid() == 0 and subprocess.run(["id", "-u", SEARCH_USER], capture_output=True).returncode != 0:
        run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SEARCH_USER])
        search_home.cache_clear()
        search_state.cache_clear()
    home = search_state()
    if search_home() != OPENSEARCH_HOME:
        SEARCH_SPARE.mkdir(mode=0o755, exist_ok=True)
        os.chmod(SEARCH_SPARE, 0o755)
        if not (search_home() / "lib").exists():
            shutil.copytree(OPENSEARCH_HOME, search_home(), symlinks=True)
            writable(search_home())
        if home.exists() and not (STATE / "opensearch").exists():
            shutil.rmtree(home)  # a state directory started anew (test.sh removes it) starts the node anew too
        (STATE / "opensearch").mkdir(parents=True, exist_ok=True)
    for folder in ("config", "data", "logs"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "infra/opensearch/config/log4j2.properties", home / "config" / "log4j2.properties")
    (home / "config" / "opensearch.yml").write_text("\n".join([
        "cluster.name: tsunagu",
        "node.name: tsunagu-1",
        "discovery.type: single-node",
        "network.host: 127.0.0.1",
        f"http.port: {OPENSEARCH_PORT}",
        f"transport.port: {OPENSEARCH_PORT + 1}",
        f"path.data: {home / 'data'}",
        f"path.logs: {home / 'logs'}",
        # a development machine's disk is often fuller than a server's: never turn indexes read-only
        "cluster.routing.allocation.disk.threshold_enabled: false",
        # an index exists only with its mappings: a write to a dropped index fails instead of guessing them
        "action.auto_create_index: false",
        "",
    ]))
    if os.geteuid() != 0:
        return
    for folder, _, names in os.walk(home):
        shutil.chown(folder, SEARCH_USER)
        for name in names:
            shutil.chown(os.path.join(folder, name), SEARCH_USER)
    if not search_user_reaches(search_home() / "lib"):
        sys.exit(f"{SEARCH_USER} cannot read {search_home()}: let others read and enter the folders above it")


def prepare_postgres() -> None:
    data = STATE / "postgres"
    if (data / "PG_VERSION").exists():
        return
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    run([*as_postgres_user(), str(postgres_bin("initdb")), "-D", str(data), "-U", "postgres",
         "--auth=trust", "-E", "UTF8", "--no-instructions"], stdout=subprocess.DEVNULL)


def run(cmd: list[str], **kwargs) -> None:
    result = subprocess.run(cmd, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}")


# --- start / stop ------------------------------------------------------------

def prepare_kafka() -> None:
    data = STATE / "kafka" / "data"
    props = STATE / "kafka" / "server.properties"
    data.mkdir(parents=True, exist_ok=True)
    props.write_text("\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.bootstrap.servers=127.0.0.1:{KAFKA_PORT + 1}",
        f"listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},CONTROLLER://127.0.0.1:{KAFKA_PORT + 1},"
        f"SASL_PLAINTEXT://127.0.0.1:{KAFKA_SASL_PORT}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},SASL_PLAINTEXT://127.0.0.1:{KAFKA_SASL_PORT}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        # A password-protected door to the same broker, so clients' SASL settings are tested for real.
        "sasl.enabled.mechanisms=PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
        f'required user_{KAFKA_SASL_USER[0]}="{KAFKA_SASL_USER[1]}";',
        f"log.dirs={data}",
        "num.partitions=6",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        "",
    ]))
    if not (data / "meta.properties").exists():
        # one id in 64 starts with "-": given as its own argument, the tool would read it as an option
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        run(["java", "-cp", f"{KAFKA_LIBS}/*", f"-Dlog4j.configuration=file:{ROOT / 'infra/kafka/log4j.properties'}",
             "kafka.tools.StorageTool", "format", "--standalone", f"--cluster-id={cluster_id}", "-c", str(props)],
            stdout=subprocess.DEVNULL)


def pidfile(name: str) -> Path:
    return STATE / "pids" / f"{name}.pid"


def running_pid(name: str) -> int | None:
    path = pidfile(name)
    if not path.exists():
        return None
    pid = int(path.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        path.unlink()
        return None
    return pid


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def healthy(proc: Process) -> bool:
    if not port_open(proc.port):
        return False
    if proc.health_url is None:
        return True
    try:
        with urllib.request.urlopen(proc.health_url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def start(proc: Process) -> None:
    if running_pid(proc.name):
        return
    if port_open(proc.port):
        sys.exit(f"port {proc.port} for {proc.name} is taken by another program; set the port variables")
    if proc.name == "kafka":
        prepare_kafka()
    if proc.name == "postgres":
        prepare_postgres()
    if proc.name == "ferretdb":
        (STATE / "ferretdb").mkdir(parents=True, exist_ok=True)
    if proc.name == "opensearch":
        prepare_opensearch()
        proc = processes()["opensearch"]  # its folders are known once its user exists
    (STATE / "pids").mkdir(parents=True, exist_ok=True)
    (STATE / "logs").mkdir(parents=True, exist_ok=True)
    log = open(STATE / "logs" / f"{proc.name}.log", "ab")  # noqa: SIM115 -- the child writes to it as long as it runs
    env = {**os.environ, **stack_env(), **proc.env}
    child = subprocess.Popen(proc.command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                             start_new_session=True)
    pidfile(proc.name).write_text(str(child.pid))


def wait_ready(proc: Process) -> None:
    """Poll the port (and health URL) until it answers; never a fixed sleep."""
    deadline = time.monotonic() + proc.timeout
    while time.monotonic() < deadline:
        if healthy(proc):
            return
        if running_pid(proc.name) is None:
            sys.exit(f"{proc.name} exited; see {STATE / 'logs' / (proc.name + '.log')}")
        time.sleep(0.2)
    sys.exit(f"{proc.name} not ready after {proc.timeout:.0f}s; see {STATE / 'logs' / (proc.name + '.log')}")


def stop(name: str, timeout: float = 20.0) -> None:
    pid = running_pid(name)
    if pid is None:
        return
    os.killpg(pid, processes()[name].stop_signal)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running_pid(name):
        time.sleep(0.1)
    if running_pid(name):
        os.killpg(pid, signal.SIGKILL)
    pidfile(name).unlink(missing_ok=True)


DATABASE = ["postgres"] if DB_BACKEND == "postgresql" else []


def expand(names: list[str]) -> list[str]:
    if not names or names == ["all"]:
        return [*DATABASE, "kafka", "ferretdb", "opensearch", "emulators", *SERVICES, "console"]
    if names == ["infra"]:
        return [*DATABASE, "kafka", "ferretdb", "opensearch"]
    return names


def main(argv: list[str]) -> None:
    command, names = (argv[0] if argv else "status"), argv[1:]
    table = processes()
    if command == "install":
        install()
    elif command == "up":
        install()
        names = expand(names)
        if "opensearch" in names:
            start(table["opensearch"])  # the slowest to boot: it boots while the others start
        for name in names:
            start(table[name])
            wait_ready(table[name])
            print(f"{name:10} ready on 127.0.0.1:{table[name].port}", flush=True)
    elif command == "down":
        for name in reversed(expand(names)):
            stop(name)
    elif command == "status":
        for name, proc in table.items():
            pid = running_pid(name)
            state = "ready" if pid and healthy(proc) else ("starting" if pid else "stopped")
            print(f"{name:10} {state:9} port {proc.port}")
    elif command == "env":
        for key, value in stack_env().items():
            print(f"export {key}={value}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
