#!/usr/bin/env python3
"""Validates docker/ as far as a machine without a Docker engine can. Run through
scripts/check-docker.sh, which installs the parsers this uses (hadolint, dockerfile-parse,
compose-spec, PyYAML) and passes HADOLINT.

Checks, each reported with the file and the thing that is wrong:
- the Dockerfile passes hadolint (a real parser, then its lint rules; docker/.hadolint.yaml);
- every COPY source exists in the repository and is not left out by .dockerignore; every
  COPY --from names an earlier stage; the runtime runs as a user other than root; libduckdb.so
  comes from scripts/duckdb-lib.sh, not from a copy of its logic;
- the compose file is YAML without duplicate keys and parses as the Compose specification
  (compose-spec) once its variables are interpolated;
- every ${VAR} of the compose file is in docker/env.example, and every variable there is used;
- depends_on, named volumes and bind-mounted paths exist;
- every KUROBE_ variable given to a Kurobe server (Dockerfile ENV or compose environment) is a
  key of backend/server/src/settings.rs documented in config.sample.env; those given to the web
  app are read by frontend/src;
- every service has a health check (one-shot services excepted) whose program is in its image.

`--self-test` then breaks the real files in known ways, one at a time, and fails unless each
broken variant is refused: a checker that accepts everything would pass no one.
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import compose_spec
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE = DOCKER / "docker-compose.yml"
ENV_FILE = DOCKER / "env.example"
SETTINGS_RS = ROOT / "backend/server/src/settings.rs"
SAMPLE_ENV = ROOT / "config.sample.env"
WEB_SOURCES = ROOT / "frontend/src"

# What the third-party images of the compose file carry, for their health checks. Nothing
# can look inside an image here; these come from each image's own documentation.
UPSTREAM_PROGRAMS = {
    "postgres": {"pg_isready", "psql"},
    "redis": {"redis-cli", "redis-server"},
    "trinodb/trino": {"/usr/lib/trino/bin/health-check"},
}
# What the runtime stage's base image (Debian) brings that the compose file calls.
BASE_PROGRAMS = {"debian": {"sh"}}
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# `$$` is a literal dollar; `${NAME...}` and `$NAME` are variables.
VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")


# ---- settings and the web app's variables --------------------------------------------------


def settings_structs(source: str) -> dict[str, dict[str, str]]:
    """`pub struct Name { pub field: Type, ... }` of settings.rs, as {struct: {field: type}}."""
    structs = {}
    for name, body in re.findall(r"pub struct (\w+)\s*\{(.*?)\n\}", source, re.DOTALL):
        structs[name] = dict(re.findall(r"pub (\w+):\s*([^\n]+?),?\s*$", body, re.MULTILINE))
    return structs


def client_variables(source: str) -> set[str]:
    match = re.search(r"const CLIENT_VARIABLES: &\[&str\] = &\[(.*?)\];", source, re.DOTALL)
    return set(re.findall(r'"(\w+)"', match.group(1))) if match else set()


def is_setting(variable: str, structs: dict[str, dict[str, str]], clients: set[str]) -> bool:
    """Whether KUROBE_A__B names the key a.b of `Settings` (or is a variable the server
    knows is not a key)."""
    rest = variable.removeprefix("KUROBE_")
    if rest in clients:
        return True
    fields = structs.get("Settings", {})
    parts = rest.lower().split("__")
    for i, part in enumerate(parts):
        if part not in fields:
            return False
        inner = re.sub(r"^Option<(.*)>$", r"\1", fields[part].strip())
        nested = structs.get(inner.split("::")[-1])
        if i + 1 < len(parts):
            fields = nested or {}
        elif nested is not None:
            return False  # a whole section, not a key
    return True


def documented(path: Path) -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", path.read_text(), re.MULTILINE))


def web_variables() -> set[str]:
    names = set()
    for path in WEB_SOURCES.rglob("*.ts*"):
        names.update(re.findall(r"process\.env(?:\.|\[\")([A-Z][A-Z0-9_]*)", path.read_text()))
    return names


class Variables:
    """What the server and the web app accept, read once."""

    def __init__(self) -> None:
        source = SETTINGS_RS.read_text()
        self.structs = settings_structs(source)
        self.clients = client_variables(source)
        self.sample = documented(SAMPLE_ENV)
        self.web = web_variables()
        if "Settings" not in self.structs or "server" not in self.structs["Settings"]:
            raise SystemExit(f"{SETTINGS_RS}: no `pub struct Settings` with a server section; update check_docker.py")

    def check_server(self, report: Report, where: str, names) -> None:
        for name in sorted(n for n in names if n.startswith("KUROBE_")):
            if not is_setting(name, self.structs, self.clients):
                report.add(where, f"{name} is not a setting of backend/server/src/settings.rs")
            elif name not in self.sample:
                report.add(where, f"{name} is a setting but config.sample.env does not document it")

    def check_web(self, report: Report, where: str, names) -> None:
        for name in sorted(n for n in names if n.startswith("KUROBE_")):
            if name not in self.web:
                report.add(where, f"{name} is given to the web app, which never reads it (frontend/src)")


# ---- the Dockerfile -------------------------------------------------------------------------


@dataclass
class Stage:
    name: str | None
    base: str
    line: int
    instructions: list[dict] = field(default_factory=list)


@dataclass
class Image:
    """What the final stage holds, as far as its instructions tell."""

    base: str
    files: set[str]
    directories: list[str]
    path: list[str]
    env: dict[str, str]
    user: str | None
    healthcheck: list[str] | None

    def has_program(self, program: str) -> bool:
        if "/" in program:
            return program in self.files or any(program.startswith(d) for d in self.directories)
        if program in BASE_PROGRAMS.get(image_name(self.base), set()):
            return True
        return any(f"{d.rstrip('/')}/{program}" in self.files for d in self.path)

    def has_file(self, path: str) -> bool:
        return path in self.files or any(path.startswith(d) for d in self.directories)


def image_name(reference: str) -> str:
    """`trinodb/trino:476` -> `trinodb/trino`; `debian:bookworm-slim` -> `debian`."""
    name = reference.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":")[0]


def arguments(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        return json.loads(value)
    return shlex.split(value)


def split_flags(value: str) -> tuple[dict[str, str], list[str]]:
    flags, rest = {}, []
    for word in arguments(value):
        if word.startswith("--") and not rest:
            key, _, flag_value = word[2:].partition("=")
            flags[key] = flag_value
        else:
            rest.append(word)
    return flags, rest


def stages(parser: DockerfileParser) -> list[Stage]:
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for instruction in parser.structure:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "ARG" and not result:
            name, _, default = value.partition("=")
            global_args[name.strip()] = default.strip()
        elif kind == "FROM":
            words = value.split()
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), words[0])
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            result.append(Stage(name, base, instruction["startline"] + 1))
        elif result:
            result[-1].instructions.append(instruction)
    return result


def check_dockerfile_text(text: str, report: Report, variables: Variables, hadolint: str) -> Image | None:
    where = "docker/Dockerfile"
    lint = subprocess.run(
        [hadolint, "--no-color", "--config", str(DOCKER / ".hadolint.yaml"), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    if lint.returncode != 0:
        for line in (lint.stdout + lint.stderr).strip().splitlines():
            report.add(where, f"hadolint: {line.removeprefix('-:')}")
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    parsed = stages(parser)
    if len(parsed) < 2:
        report.add(where, "not a multi-stage build")
        return None
    ignore = DockerIgnore(ROOT / ".dockerignore")
    names = set()
    for stage in parsed:
        check_stage(stage, names, ignore, report)
        if stage.name:
            names.add(stage.name)
    if not any(
        "scripts/duckdb-lib.sh" in i["value"] for s in parsed for i in s.instructions if i["instruction"] == "RUN"
    ):
        report.add(
            where, "libduckdb.so must come from scripts/duckdb-lib.sh (run it in a stage, do not copy its logic)"
        )
    image = final_image(parsed)
    if image.user is None or image.user.split(":")[0] in ("root", "0"):
        report.add(where, f"the runtime stage runs as root (USER {image.user}); it must name an unprivileged user")
    variables.check_server(report, f"{where} ENV", image.env)
    if image.healthcheck and not image.has_program(image.healthcheck[0]):
        report.add(where, f"HEALTHCHECK runs {image.healthcheck[0]}, which the runtime image does not contain")
    for argument in (image.healthcheck or [])[1:]:
        if argument.startswith("/") and not image.has_file(argument):
            report.add(where, f"HEALTHCHECK names {argument}, which the runtime image does not contain")
    return image


def check_stage(stage: Stage, earlier: set[str], ignore: DockerIgnore, report: Report) -> None:
    for instruction in stage.instructions:
        if instruction["instruction"] not in ("COPY", "ADD"):
            continue
        where = f"docker/Dockerfile:{instruction['startline'] + 1}"
        flags, words = split_flags(instruction["value"])
        source_stage = flags.get("from")
        if source_stage is not None:
            if source_stage not in earlier and not re.search(r"[:/]", source_stage):
                report.add(where, f"COPY --from={source_stage} names no earlier stage ({', '.join(sorted(earlier))})")
            continue
        for source in words[:-1]:
            matches = glob.glob(str(ROOT / source))
            if not matches:
                report.add(where, f"COPY source `{source}` does not exist in the repository")
            elif ignore.excludes(source):
                report.add(where, f"COPY source `{source}` is left out of the build context by .dockerignore")


def final_image(parsed: list[Stage]) -> Image:
    final = parsed[-1]
    by_name = {s.name: s for s in parsed if s.name}
    image = Image(final.base, set(), [], DEFAULT_PATH.split(":"), {}, None, None)
    for instruction in final.instructions:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "COPY":
            flags, words = split_flags(value)
            destination = words[-1]
            for source in words[:-1]:
                if not (destination.endswith("/") or source.endswith("/") or len(words) > 2):
                    image.files.add(destination)
                    continue
                directory = destination if destination.endswith("/") else destination + "/"
                known = copied_files(by_name.get(flags["from"]) if "from" in flags else None, source)
                if known is None:
                    image.directories.append(directory)
                image.files.update(directory + name for name in known or [])
        elif kind == "ENV":
            for word in shlex.split(value):
                key, _, item = word.partition("=")
                image.env[key] = item
            if "PATH" in image.env:
                image.path = image.env["PATH"].replace("$PATH", DEFAULT_PATH).split(":")
        elif kind == "USER":
            image.user = value.strip()
        elif kind == "HEALTHCHECK":
            command = re.split(r"\bCMD\b", value, maxsplit=1)
            image.healthcheck = arguments(command[1]) if len(command) == 2 else None
    return image


def copied_files(stage: Stage | None, source: str) -> list[str] | None:
    """The files a COPY of the folder `source` brings, relative to it: those of the repository
    for the build context; for a build stage, the paths under it that the stage's RUN commands
    name. None when they cannot be known (a folder a tool filled)."""
    prefix = source.rstrip("/") + "/"
    if stage is None:
        folder = ROOT / source
        return [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else None
    found = [
        word[len(prefix) :]
        for instruction in stage.instructions
        if instruction["instruction"] == "RUN"
        for word in instruction["value"].split()
        if word.startswith(prefix) and len(word) > len(prefix)
    ]
    return found or None


class DockerIgnore:
    """The patterns of .dockerignore, last match winning, `!` re-including."""

    def __init__(self, path: Path) -> None:
        lines = path.read_text().splitlines() if path.exists() else []
        self.patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]

    def excludes(self, source: str) -> bool:
        path = os.path.normpath(source).lstrip("/")
        excluded = False
        for pattern in self.patterns:
            negate = pattern.startswith("!")
            # A pattern also covers everything below what it names.
            if re.fullmatch(self.regex(pattern.lstrip("!").strip("/")) + "(/.*)?", path):
                excluded = not negate
        return excluded

    @staticmethod
    def regex(pattern: str) -> str:
        """Docker's syntax: `**` any number of folders, `*` and `?` within one name."""
        parts = re.split(r"(\*\*/?|\*|\?)", pattern)
        table = {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
        return "".join(table.get(part, re.escape(part)) for part in parts)


# ---- the compose file -------------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """Refuses a key written twice in one mapping (YAML keeps the last one silently); keys
    brought in by a merge (`<<:`) may be overridden, as Compose intends."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key `{key}`", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def interpolate(value, values: dict[str, str], used: set[str]):
    if isinstance(value, dict):
        return {k: interpolate(v, values, used) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, values, used) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(3)
        used.add(name)
        modifier = match.group(2) or ""
        given = values.get(name) or ""
        default = re.match(r":?-(.*)", modifier)
        if not given and default:
            return default.group(1)
        # A placeholder stands in for a secret the example leaves empty.
        return given or f"placeholder-{name.lower()}"

    return VARIABLE.sub(substitute, value)


def env_file_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def check_compose_text(text: str, report: Report, variables: Variables, image: Image | None) -> None:
    where = "docker/docker-compose.yml"
    try:
        raw = yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as err:
        report.add(where, f"not valid YAML: {err}")
        return
    values = env_file_values(ENV_FILE)
    used: set[str] = set()
    compose = interpolate(raw, values, used)
    for name in sorted(used - values.keys()):
        report.add(where, f"${{{name}}} is used but docker/env.example does not define it")
    for name in sorted(values.keys() - used):
        report.add("docker/env.example", f"{name} is defined but docker-compose.yml never uses it")
    try:
        compose_spec.PyCompose.from_json(json.dumps(compose))
    except ValueError as err:
        report.add(where, f"not a valid Compose file: {err}")
        return
    services = compose.get("services", {})
    one_shot = {
        name
        for service in services.values()
        for name, dependency in (service.get("depends_on") or {}).items()
        if isinstance(service.get("depends_on"), dict)
        and dependency.get("condition") == "service_completed_successfully"
    }
    for name, service in services.items():
        check_service(name, service, compose, one_shot, report, variables, image)


def check_service(name, service, compose, one_shot, report, variables, image) -> None:
    where = f"docker/docker-compose.yml service {name}"
    depends = service.get("depends_on") or []
    for dependency in depends if isinstance(depends, list) else depends.keys():
        if dependency not in compose["services"]:
            report.add(where, f"depends on `{dependency}`, which is not a service")
    for volume in service.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        if source.startswith((".", "/")):
            if not (DOCKER / source).exists():
                report.add(where, f"mounts `{source}`, which does not exist")
        elif source and source not in (compose.get("volumes") or {}):
            report.add(where, f"mounts the volume `{source}`, which the top-level volumes do not declare")

    ours = "build" in service
    if ours:
        build = service["build"]
        context = DOCKER / build.get("context", ".")
        if (context / build.get("dockerfile", "Dockerfile")).resolve() != DOCKERFILE:
            report.add(where, f"builds {build}, not docker/Dockerfile")
    entrypoint = service.get("entrypoint")
    entrypoint = arguments(entrypoint) if isinstance(entrypoint, str) else entrypoint
    environment = service.get("environment") or {}
    names = environment.keys() if isinstance(environment, dict) else [e.split("=")[0] for e in environment]
    if ours and entrypoint and entrypoint[0] == "node":
        variables.check_web(report, where, names)
    elif ours:
        variables.check_server(report, where, names)

    if ours and image is None:
        return  # the Dockerfile did not parse: what its image holds is unknown
    programs = (
        image.has_program if ours else UPSTREAM_PROGRAMS.get(image_name(service.get("image", "")), set()).__contains__
    )
    if entrypoint and not programs(entrypoint[0]):
        report.add(where, f"its entrypoint runs {entrypoint[0]}, which its image does not contain")
    if ours and image and entrypoint:
        for argument in entrypoint[1:]:
            if argument.startswith("/") and not image.has_file(argument):
                report.add(where, f"its entrypoint names {argument}, which the image does not contain")
    check_healthcheck(where, service, name in one_shot, programs, image if ours else None, report)


def check_healthcheck(where, service, one_shot, programs, image, report) -> None:
    healthcheck = service.get("healthcheck")
    if healthcheck is None and image is not None and image.healthcheck:
        return  # the image's own HEALTHCHECK applies, checked with the Dockerfile
    if healthcheck is None or healthcheck.get("disable"):
        if not one_shot:
            report.add(where, "has no health check (only one-shot services may go without)")
        return
    test = healthcheck.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not test or test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2:
        report.add(where, f"health check test {test} runs nothing")
        return
    command = test[1:] if test[0] == "CMD" else shlex.split(test[1])
    if not programs(command[0]):
        report.add(where, f"its health check runs {command[0]}, which its image does not contain")
    for argument in command[1:]:
        if image is not None and argument.startswith("/") and not image.has_file(argument):
            report.add(where, f"its health check names {argument}, which the image does not contain")


# ---- running it -------------------------------------------------------------------------------


def check(dockerfile: str, compose: str, variables: Variables, hadolint: str) -> list[str]:
    report = Report()
    image = check_dockerfile_text(dockerfile, report, variables, hadolint)
    check_compose_text(compose, report, variables, image)
    return report.problems


# Each breaks one thing in the real files; the check must then report `expect`.
BREAKAGES = [
    ("Dockerfile", "COPY migrations migrations", "COPY migration migrations", "`migration` does not exist"),
    ("Dockerfile", 'CMD ["serve"]', 'CMD ["serve"', "hadolint"),
    ("Dockerfile", "FROM ${RUNTIME_IMAGE}\n", "FROM ${RUNTIME_IMAGE}\nRUN cd /tmp\n", "DL3003"),
    (
        "Dockerfile",
        "COPY --from=web /usr/local/bin/node",
        "COPY --from=webb /usr/local/bin/node",
        "names no earlier stage",
    ),
    ("Dockerfile", "USER 10001:10001", "USER root", "runs as root"),
    (
        "Dockerfile",
        "COPY docker/healthcheck.mjs /opt/kurobe/healthcheck.mjs",
        "COPY docker/healthcheck.mjs /opt/kurobe/check.mjs",
        "HEALTHCHECK names /opt/kurobe/healthcheck.mjs",
    ),
    (
        "Dockerfile",
        "KUROBE_SERVER__BIND=0.0.0.0:8000",
        "KUROBE_SERVER__BND=0.0.0.0:8000",
        "KUROBE_SERVER__BND is not a setting",
    ),
    ("Dockerfile", "scripts/duckdb-lib.sh \\", "true \\", "must come from scripts/duckdb-lib.sh"),
    ("docker-compose.yml", "  redis:\n", "  redis:\n   broken: [\n", "not valid YAML"),
    ("docker-compose.yml", "  init: true\n", "  init: true\n  init: false\n", "duplicate key"),
    ("docker-compose.yml", "${DEMO_SCALE:-0.1}", "${DEMO_SCALES:-0.1}", "DEMO_SCALES} is used but"),
    (
        "docker-compose.yml",
        "      KUROBE_SERVER__BIND: 0.0.0.0:8000",
        "      KUROBE_SERVER__BINDD: 0.0.0.0:8000",
        "KUROBE_SERVER__BINDD is not a setting",
    ),
    (
        "docker-compose.yml",
        "      KUROBE_API_URL: http://api:8000",
        "      KUROBE_API_ADDRESS: http://api:8000",
        "never reads it",
    ),
    (
        "docker-compose.yml",
        '"/opt/kurobe/healthcheck.mjs", "http://127.0.0.1:8000/readyz"',
        '"/opt/kurobe/health.mjs", "http://127.0.0.1:8000/readyz"',
        "health.mjs, which the image",
    ),
    (
        "docker-compose.yml",
        '["CMD", "node", "/opt/kurobe/healthcheck.mjs", "http://127.0.0.1:3000/login"]',
        '["CMD", "curl", "-f", "http://127.0.0.1:3000/login"]',
        "runs curl",
    ),
    ("docker-compose.yml", '["CMD", "redis-cli", "ping"]', '["CMD", "wget", "localhost:6379"]', "runs wget"),
    (
        "docker-compose.yml",
        "    restart: unless-stopped\n\n  web:",
        "    restrt: unless-stopped\n\n  web:",
        "not a valid Compose file",
    ),
    (
        "docker-compose.yml",
        "        condition: service_healthy\n    restart",
        "        condition: service_healthy\n      cache:\n        condition: service_healthy\n    restart",
        "`cache`, which is not a service",
    ),
    ("docker-compose.yml", "./init-roles.sql:", "./init-role.sql:", "`./init-role.sql`, which does not exist"),
    (
        "docker-compose.yml",
        '    healthcheck:\n      test: ["CMD", "/usr/lib/trino/bin/health-check"]',
        '    healthcheck:\n      disable: true\n    x-was:\n      test: ["CMD", "/usr/lib/trino/bin/health-check"]',
        "trino: has no health check",
    ),
]


def self_test(dockerfile: str, compose: str, variables: Variables, hadolint: str) -> list[str]:
    failures = []
    for file, old, new, expect in BREAKAGES:
        texts = {"Dockerfile": dockerfile, "docker-compose.yml": compose}
        if old not in texts[file]:
            failures.append(f"self-test: `{old}` is no longer in docker/{file}; update BREAKAGES")
            continue
        texts[file] = texts[file].replace(old, new, 1)
        problems = check(texts["Dockerfile"], texts["docker-compose.yml"], variables, hadolint)
        if not any(expect in p for p in problems):
            failures.append(f"self-test: docker/{file} with `{new.strip()}` was not refused for `{expect}`: {problems}")
    return failures


def main() -> int:
    hadolint = os.environ["HADOLINT"]
    variables = Variables()
    dockerfile, compose = DOCKERFILE.read_text(), COMPOSE.read_text()
    problems = check(dockerfile, compose, variables, hadolint)
    for problem in problems:
        print(f"[check-docker] {problem}", file=sys.stderr)
    if problems:
        return 1
    print("[check-docker] docker/Dockerfile and docker/docker-compose.yml pass every check")
    if "--self-test" in sys.argv[1:]:
        failures = self_test(dockerfile, compose, variables, hadolint)
        for failure in failures:
            print(f"[check-docker] {failure}", file=sys.stderr)
        if failures:
            return 1
        print(f"[check-docker] self-test: {len(BREAKAGES)} broken variants, each refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
