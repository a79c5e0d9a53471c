#!/usr/bin/env python3
"""Structure checks of deploy/docker-compose.yml and deploy/Dockerfile, for
deploy/check-deploy (no container engine needed).

  check_deploy.py compose docker-compose.yml
  check_deploy.py dockerfile Dockerfile deps.sh PACKAGES_OUT

Prints each problem and exits 1 when there is any. `dockerfile` writes the
packages each stage installs to PACKAGES_OUT ("build NAME" / "runtime NAME").
"""
import json
import os
import re
import shlex
import sys

problems = []


def problem(text):
    problems.append(text)
    print("  problem: " + text)


# --- docker-compose.yml -------------------------------------------------------

def load_yaml(path):
    text = open(path, encoding="utf-8").read()
    if "\t" in text:
        problem("tabs in YAML indentation")
    try:
        import yaml
    except ImportError:
        # No PyYAML: the top-level keys and service names, by indentation.
        print("  (python3-yaml not installed: minimal structural check only)")
        services, inside = {}, False
        for line in text.splitlines():
            if re.match(r"^services:\s*$", line):
                inside = True
            elif re.match(r"^\S", line):
                inside = False
            elif inside and (m := re.match(r"^  ([A-Za-z0-9_-]+):\s*$", line)):
                services[m.group(1)] = None
        return {"services": services}, False
    return yaml.safe_load(text), True


def depends(service):
    d = service.get("depends_on") or {}
    if isinstance(d, list):
        return {name: "service_started" for name in d}
    return {name: (v or {}).get("condition", "service_started") for name, v in d.items()}


def check_compose(path):
    base = os.path.dirname(os.path.abspath(path))
    doc, full = load_yaml(path)
    services = doc.get("services") or {}
    for name in ("redis", "postgres", "migrate", "haproxy"):
        if name not in services:
            problem(f"no service '{name}'")
    if not full:
        apis = [n for n in services if n.startswith("api")]
        if len(apis) < 2:
            problem("fewer than two API services (api1, api2)")
        return

    def has_healthcheck(name):
        hc = (services.get(name) or {}).get("healthcheck") or {}
        if not hc.get("test") or hc.get("disable"):
            problem(f"service '{name}' has no health check")

    apis = [n for n, s in services.items()
            if n != "migrate" and (s or {}).get("image") == "bakewind:local"]
    if len(apis) < 2:
        problem(f"want two API instances (image bakewind:local), found {apis}")

    has_healthcheck("redis")
    has_healthcheck("postgres")
    if not str((services.get("postgres") or {}).get("image", "")).startswith("postgres:15"):
        problem("postgres is not the postgres:15 image")

    redis_conf = os.path.join(base, "redis", "redis.conf")
    conf = open(redis_conf).read() if os.path.exists(redis_conf) else ""
    for setting in ("appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction", "aclfile "):
        if setting not in conf:
            problem(f"deploy/redis/redis.conf lacks '{setting}'")

    migrate = services.get("migrate") or {}
    if migrate.get("command") != ["migrate"]:
        problem("service 'migrate' does not run `bakewind migrate`")
    if str(migrate.get("restart", "")) != "no":
        problem("service 'migrate' must be one-shot (restart: \"no\")")
    if depends(migrate).get("postgres") != "service_healthy":
        problem("service 'migrate' does not wait for a healthy postgres")

    want = {"redis": "service_healthy", "postgres": "service_healthy",
            "migrate": "service_completed_successfully"}
    for name in apis:
        s = services[name]
        got = depends(s)
        for dep, cond in want.items():
            if got.get(dep) != cond:
                problem(f"service '{name}' must depend on {dep} with condition {cond} (has {got.get(dep)})")
        env = s.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        for var in ("REDIS_URL", "DATABASE_URL", "JWT_SECRET"):
            if var not in env:
                problem(f"service '{name}' lacks {var}")
        build = s.get("build") or {}
        dockerfile = os.path.join(base, build.get("context", "."), build.get("dockerfile", "Dockerfile"))
        if not os.path.exists(dockerfile):
            problem(f"service '{name}' builds from {dockerfile}, which does not exist")

    # haproxy: the shared policy (haproxy.cfg) and this deployment's
    # instances (servers.cfg), both from the mounted folder.
    haproxy = services.get("haproxy") or {}
    folder = ""
    for volume in haproxy.get("volumes") or []:
        parts = str(volume).split(":")
        if len(parts) >= 2 and parts[1].rstrip("/") == "/usr/local/etc/haproxy":
            folder = os.path.join(base, parts[0])
    if not folder:
        problem("haproxy does not mount deploy/haproxy at /usr/local/etc/haproxy")
    command = haproxy.get("command") or []
    for name in ("haproxy.cfg", "servers.cfg"):
        if f"/usr/local/etc/haproxy/{name}" not in command:
            problem(f"haproxy's command does not load {name}")
    env = haproxy.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    if str(env.get("BAKEWIND_HAPROXY_BIND", "")).split(":")[-1] != "8080":
        problem("haproxy's BAKEWIND_HAPROXY_BIND is not :8080")
    servers_cfg = os.path.join(folder, "servers.cfg") if folder else ""
    cfg = open(servers_cfg).read() if servers_cfg and os.path.exists(servers_cfg) else ""
    for name in apis:
        if not re.search(rf"^\s*server\s+\S+\s+{re.escape(name)}:8080\b", cfg, re.M):
            problem(f"haproxy/servers.cfg has no server for service '{name}'")
    if not any(str(p).split(":")[-1] == "8080" for p in haproxy.get("ports") or []):
        problem("haproxy does not publish port 8080")

    # Every bind-mounted file or folder exists.
    for name, s in services.items():
        for volume in (s or {}).get("volumes") or []:
            source = str(volume).split(":")[0]
            if source.startswith("."):
                if not os.path.exists(os.path.join(base, source)):
                    problem(f"service '{name}' mounts {source}, which does not exist")
    print(f"  services: {', '.join(services)}")


# --- Dockerfile ---------------------------------------------------------------

# deps.sh packages that the image's build stage does not need: tests,
# benchmarks, local servers and tools.
# ccache only speeds builds up; ca-certificates and procps are for the
# scripts.
NOT_FOR_BUILD = {"googletest", "libgtest-dev", "libgmock-dev", "redis-server", "postgresql-15",
                 "postgresql-client-15", "ca-certificates", "curl", "procps", "ccache"}


def instructions(path):
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    out, current = [], ""
    for line in open(path, encoding="utf-8"):
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        out.append((keyword.upper(), rest.strip()))
        current = ""
    return out


def apt_packages(run):
    """Package names given to apt-get install in one RUN."""
    found = []
    for command in re.split(r"&&|;", run):
        words = shlex.split(command)
        if "apt-get" in words and "install" in words:
            for word in words[words.index("install") + 1:]:
                if not word.startswith("-"):
                    found.append(word)
    return found


def deps_packages(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"BW_DEB_PACKAGES=\((.*?)\)", text, re.S)
    if not m:
        problem("cannot find BW_DEB_PACKAGES in " + path)
        return set()
    return set(m.group(1).split())


def check_dockerfile(path, deps_path, out_path):
    stages = []  # [ {from, name, instructions} ]
    for keyword, rest in instructions(path):
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"from": words[0], "name": name, "ins": []})
        elif stages:
            stages[-1]["ins"].append((keyword, rest))
    if len(stages) < 2:
        problem("not multi-stage")
        return
    build, final = stages[0], stages[-1]
    if build["from"] != "debian:12":
        problem(f"the build stage is FROM {build['from']}, want debian:12")
    if final["from"] != "debian:12-slim":
        problem(f"the runtime stage is FROM {final['from']}, want debian:12-slim")

    def last(stage, keyword):
        values = [rest for k, rest in stage["ins"] if k == keyword]
        return values[-1] if values else None

    user = last(final, "USER")
    if not user or user.split(":")[0] in ("root", "0"):
        problem("the runtime stage does not switch to a non-root USER")
    health = last(final, "HEALTHCHECK") or ""
    if "/health/live" not in health:
        problem("no HEALTHCHECK on /health/live")
    if "8080" not in (last(final, "EXPOSE") or "").split():
        problem("EXPOSE 8080 missing")
    for keyword, want in (("ENTRYPOINT", ["bakewind"]), ("CMD", ["serve"])):
        value = last(final, keyword)
        try:
            got = json.loads(value) if value else None
        except ValueError:
            got = value
        if got != want:
            problem(f"{keyword} is {value}, want {json.dumps(want)}")
    if not any(k == "COPY" and "--from=" in rest for k, rest in final["ins"]):
        problem("the runtime stage copies nothing from the build stage")

    build_pkgs = [p for k, rest in build["ins"] if k == "RUN" for p in apt_packages(rest)]
    runtime_pkgs = [p for k, rest in final["ins"] if k == "RUN" for p in apt_packages(rest)]
    if "curl" not in runtime_pkgs and "curl" in health:
        problem("HEALTHCHECK uses curl, which the runtime stage does not install")
    lacking = sorted(deps_packages(deps_path) - NOT_FOR_BUILD - set(build_pkgs))
    if lacking:
        problem("the build stage lacks packages of scripts/lib/deps.sh: " + " ".join(lacking))
    leaked = sorted(p for p in runtime_pkgs if p.endswith("-dev") or p == "build-essential")
    if leaked:
        problem("build packages in the runtime stage: " + " ".join(leaked))
    with open(out_path, "w") as out:
        for p in build_pkgs:
            out.write(f"build {p}\n")
        for p in runtime_pkgs:
            out.write(f"runtime {p}\n")
    print(f"  stages: {' -> '.join(s['from'] for s in stages)}; "
          f"{len(build_pkgs)} build and {len(runtime_pkgs)} runtime packages; USER {user}")


def main(argv):
    if len(argv) >= 3 and argv[1] == "compose":
        check_compose(argv[2])
    elif len(argv) >= 5 and argv[1] == "dockerfile":
        check_dockerfile(argv[2], argv[3], argv[4])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
