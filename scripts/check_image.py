"""Checks of a built MelNev image, run by scripts/check_image.sh (issue #32).

    python scripts/check_image.py --engine buildah --image localhost/melnev:check

Runs, inside the image and as the image runs them:
- its HEALTHCHECK command (exit 0 on the shipped example photo, with a risk level; exit 1
  on a refused picture and on a missing model);
- `melnev bot` (the image's CMD) against the fake Bot API server started here on
  127.0.0.1 and reached over loopback (host network): one real photo gets a risk answer,
  /help is answered, SIGTERM ends it with exit code 0; nothing is written in the
  container's filesystem meanwhile;
- a look at the files: non-root user, no tests, .git, ../shared data or TensorFlow;
  the largest installed packages.
Prints one line per check and exits 1 when any fails.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "examples" / "mole_ISIC_0033971.jpg"
TOKEN = "123456:check-image-token"
PHOTO_USER, HELP_USER = 101, 102
SERVE_TIMEOUT_S = 120.0
EXIT_TIMEOUT_S = 15.0

# Run inside the image by its own Python: what must not be there, and what takes the room.
INSPECT_SCRIPT = r"""
import importlib.metadata as md, importlib.util, json, os, sys
found = {"uid": os.getuid(), "forbidden": [], "photos": [], "sizes": {}, "dirs": {}}
site = next(p for p in sys.path if p.endswith("site-packages"))
for path in ("/app/tests", "/app/.git", "/app/shared", "/shared", "/src",
             site + "/tests", site + "/shared"):
    if os.path.lexists(path):
        found["forbidden"].append(path)
for top in ("/app", "/opt", "/home", "/root", "/srv", "/data", "/tmp"):
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            if name in (".git", "shared") or name.endswith((".npz", ".ipynb")):
                found["forbidden"].append(path)
            if name.lower().endswith((".jpg", ".jpeg")):
                found["photos"].append(path)
for name in ("tensorflow", "keras", "tf_keras"):
    if importlib.util.find_spec(name) is not None:
        found["forbidden"].append("importable: " + name)
for dist in md.distributions():
    name = dist.metadata["Name"]
    if name.lower().startswith(("tensorflow", "tf-", "keras")):
        found["forbidden"].append("installed: " + name)
    size = 0
    for file in dist.files or ():
        try:
            size += os.path.getsize(dist.locate_file(file))
        except OSError:
            pass
    found["sizes"][name] = size
for top in ("/opt/melnev", "/app", "/home/melnev"):
    total = 0
    for root, _, files in os.walk(top):
        total += sum(os.lstat(os.path.join(root, f)).st_size for f in files)
    found["dirs"][top] = total
print(json.dumps(found))
"""


class CheckError(Exception):
    """One check failed; the message says how."""


class Engine:
    """Runs commands in containers of the image, as the image's user and environment."""

    def __init__(self, image: str) -> None:
        self.image = image

    def config(self) -> dict[str, Any]:
        """The image's Docker config: User, Cmd, Env, Healthcheck, ..."""
        raise NotImplementedError

    def exec(
        self, argv: Sequence[str], env: dict[str, str] | None = None, mounts: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` in a container of the image (mounts: `host:container:ro`)."""
        raise NotImplementedError

    def serve(self, env: dict[str, str]) -> subprocess.Popen[str]:
        """Start the image's CMD in a fresh container, on the host's network."""
        raise NotImplementedError

    def terminate(self, process: subprocess.Popen[str]) -> None:
        """Send SIGTERM to the served process, as `docker stop` does."""
        raise NotImplementedError

    def written(self) -> list[str]:
        """Paths added, changed or removed in the serving container's filesystem."""
        raise NotImplementedError

    def cleanup(self) -> None:
        """Remove the containers."""


def _run(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


class Buildah(Engine):
    """buildah (no daemon): `buildah run` with chroot isolation shares the host's network
    and process ids, so SIGTERM goes straight to the bot, and the container's files are
    compared before and after serving through `buildah mount`."""

    def __init__(self, image: str, driver: str) -> None:
        super().__init__(image)
        self.buildah = ["buildah", "--storage-driver", driver]
        self.containers: list[str] = []
        self.serving: str | None = None
        self.before: dict[str, tuple[int, int, int]] = {}

    def _new(self) -> str:
        name = f"melnev-check-{os.getpid()}-{len(self.containers)}"
        done = _run([*self.buildah, "from", "--pull-never", "--name", name, self.image])
        if done.returncode != 0:
            raise CheckError(f"buildah from: {done.stderr.strip()}")
        self.containers.append(name)
        return name

    def _run_argv(
        self, container: str, argv: Sequence[str], env: dict[str, str], mounts: Sequence[str]
    ) -> list[str]:
        found = [*self.buildah, "run", "--network", "host"]
        for key, value in env.items():
            found += ["--env", f"{key}={value}"]
        for mount in mounts:
            found += ["--volume", mount]
        return [*found, container, "--", *argv]

    def config(self) -> dict[str, Any]:
        done = _run([*self.buildah, "inspect", "--type", "image", self.image])
        if done.returncode != 0:
            raise CheckError(f"buildah inspect: {done.stderr.strip()}")
        return dict(json.loads(done.stdout)["Docker"]["config"])

    def exec(
        self, argv: Sequence[str], env: dict[str, str] | None = None, mounts: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        if not self.containers:
            self._new()
        return _run(self._run_argv(self.containers[0], argv, env or {}, mounts), timeout=300)

    def serve(self, env: dict[str, str]) -> subprocess.Popen[str]:
        self.serving = self._new()
        # The first run creates the mount points buildah needs (/etc/hosts, ...): after it,
        # anything that changes was written by the process itself.
        warm = _run(self._run_argv(self.serving, ["true"], {}, ()))
        if warm.returncode != 0:
            raise CheckError(f"buildah run: {warm.stderr.strip()}")
        self.before = self._snapshot()
        argv = self._run_argv(self.serving, self.config()["Cmd"], env, ())
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def terminate(self, process: subprocess.Popen[str]) -> None:
        # buildah run does not forward signals: find the image's process (the last
        # descendant: buildah -> buildah-chroot-runtime -> buildah-chroot-exec -> melnev).
        pid = process.pid
        while children := _children(pid):
            pid = children[-1]
        if pid == process.pid:
            raise CheckError("the served process was not found")
        os.kill(pid, signal.SIGTERM)

    def _snapshot(self) -> dict[str, tuple[int, int, int]]:
        assert self.serving is not None
        done = _run([*self.buildah, "mount", self.serving])
        if done.returncode != 0:
            raise CheckError(f"buildah mount: {done.stderr.strip()}")
        root = done.stdout.strip()
        found: dict[str, tuple[int, int, int]] = {}
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(folder, name)
                info = os.lstat(path)
                found[path[len(root) :]] = (info.st_mode, info.st_size, info.st_mtime_ns)
        _run([*self.buildah, "umount", self.serving])
        return found

    def written(self) -> list[str]:
        after = self._snapshot()
        # buildah itself adds /run/.containerenv for each run and removes it after: only
        # the time of /run changes.
        for snapshot in (self.before, after):
            mode, size, _ = snapshot.get("/run", (0, 0, 0))
            snapshot["/run"] = (mode, size, 0)
        return sorted(
            path
            for path in self.before.keys() | after.keys()
            if self.before.get(path) != after.get(path)
        )

    def cleanup(self) -> None:
        for name in self.containers:
            _run([*self.buildah, "rm", name])


class Docker(Engine):
    """A Docker daemon: `docker run --network host`, `docker kill -s TERM`, `docker diff`."""

    def __init__(self, image: str) -> None:
        super().__init__(image)
        self.name = f"melnev-check-{os.getpid()}"

    def config(self) -> dict[str, Any]:
        done = _run(["docker", "image", "inspect", self.image])
        if done.returncode != 0:
            raise CheckError(f"docker image inspect: {done.stderr.strip()}")
        return dict(json.loads(done.stdout)[0]["Config"])

    def _env(self, env: dict[str, str]) -> list[str]:
        return [part for key, value in env.items() for part in ("--env", f"{key}={value}")]

    def exec(
        self, argv: Sequence[str], env: dict[str, str] | None = None, mounts: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        volumes = [part for mount in mounts for part in ("--volume", mount)]
        command = ["docker", "run", "--rm", "--network", "host", *self._env(env or {})]
        return _run([*command, *volumes, self.image, *argv], timeout=300)

    def serve(self, env: dict[str, str]) -> subprocess.Popen[str]:
        argv = ["docker", "run", "--name", self.name, "--network", "host", *self._env(env)]
        return subprocess.Popen(
            [*argv, self.image], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def terminate(self, process: subprocess.Popen[str]) -> None:
        done = _run(["docker", "kill", "--signal", "TERM", self.name])
        if done.returncode != 0:
            raise CheckError(f"docker kill: {done.stderr.strip()}")

    def written(self) -> list[str]:
        done = _run(["docker", "diff", self.name])
        if done.returncode != 0:
            raise CheckError(f"docker diff: {done.stderr.strip()}")
        return done.stdout.split("\n") if done.stdout.strip() else []

    def cleanup(self) -> None:
        _run(["docker", "rm", "--force", self.name])


def _children(pid: int) -> list[int]:
    """Child processes of `pid`, from all its threads (Go forks from any of them)."""
    found: list[int] = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            found += [int(part) for part in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(found)


# --- checks ------------------------------------------------------------------------------
def check_user(engine: Engine, config: dict[str, Any]) -> str:
    user = str(config.get("User") or "")
    done = engine.exec(["id", "-u"])
    if done.returncode != 0:
        raise CheckError(f"id -u: {done.stderr.strip()}")
    uid = int(done.stdout.strip())
    if not user or user.split(":")[0] in ("0", "root") or uid == 0:
        raise CheckError(f"runs as root (USER {user!r}, uid {uid})")
    name = engine.exec(["id", "-un"]).stdout.strip()
    return f"USER {user}: uid {uid} ({name})"


def healthcheck_command(config: dict[str, Any]) -> list[str]:
    test = (config.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        raise CheckError("the image has no HEALTHCHECK (buildah: build with --format docker)")
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", test[1]]
    return list(test[1:])


def check_healthcheck(engine: Engine, config: dict[str, Any]) -> str:
    command = healthcheck_command(config)
    started = time.monotonic()
    done = engine.exec(command)
    took = time.monotonic() - started
    if done.returncode != 0 or not done.stdout.startswith("answered"):
        raise CheckError(f"exit {done.returncode}: {done.stdout.strip()} {done.stderr.strip()}")
    photo = _env_of(config).get("MELNEV_HEALTHCHECK_PHOTO", "")
    predicted = engine.exec(["melnev", "predict", "--json", photo])
    if predicted.returncode != 0:
        raise CheckError(f"melnev predict: {predicted.stderr.strip()}")
    (answer,) = json.loads(predicted.stdout)
    if answer["risk_level"] is None or answer["quality_issues"]:
        raise CheckError(f"the photo is refused: {answer}")
    return (
        f"exit 0 in {took:.1f} s ({done.stdout.strip()}); {Path(photo).name}: risk "
        f"{answer['risk_level']}, p={answer['melanoma_probability']:.3f}, "
        f"photo_kind {answer['photo_kind']}, model {answer['model_version']}"
    )


def check_healthcheck_fails(engine: Engine, config: dict[str, Any]) -> str:
    from PIL import Image

    command = healthcheck_command(config)
    outcomes = []
    with tempfile.TemporaryDirectory() as folder:
        grey = Path(folder) / "grey.jpg"
        Image.new("RGB", (256, 256), (128, 128, 128)).save(grey, quality=92)
        os.chmod(folder, 0o755)
        os.chmod(grey, 0o644)
        cases = {
            "a grey picture": ({"MELNEV_HEALTHCHECK_PHOTO": "/check/grey.jpg"}, "refused"),
            "a missing model": ({"MELNEV_MODEL_PATH": "/nonexistent/melnev.keras"}, ""),
        }
        for what, (env, expected) in cases.items():
            done = engine.exec(command, env=env, mounts=[f"{folder}:/check:ro"])
            if done.returncode == 0 or not done.stdout.startswith(expected):
                raise CheckError(f"{what}: exit {done.returncode}, {done.stdout.strip()!r}")
            lines = (
                done.stdout.strip().splitlines()
                or [line for line in done.stderr.splitlines() if line.startswith("melnev")]
                or done.stderr.strip().splitlines()[-1:]
            )
            said = lines[0] if lines else ""
            outcomes.append(f"{what}: exit {done.returncode} ({said[:90]})")
    return "; ".join(outcomes)


def check_contents(engine: Engine) -> tuple[str, str]:
    done = engine.exec(["python", "-c", INSPECT_SCRIPT])
    if done.returncode != 0:
        raise CheckError(f"inspection script: {done.stderr.strip()}")
    found = json.loads(done.stdout)
    allowed = {_env_of(engine.config()).get("MELNEV_HEALTHCHECK_PHOTO")}
    stray = [path for path in found["photos"] if path not in allowed]
    if found["forbidden"] or stray:
        raise CheckError(f"found {found['forbidden'] + stray}")
    largest = sorted(found["sizes"].items(), key=lambda item: -item[1])[:8]
    sizes = ", ".join(f"{name} {size / 1e6:.0f}" for name, size in largest)
    dirs = ", ".join(f"{path} {size / 1e6:.1f}" for path, size in found["dirs"].items())
    return (
        "no tests, .git, shared, .npz or data photos; TensorFlow/Keras neither importable "
        f"nor installed; photos: {found['photos']}",
        f"added by the image (MB): {dirs}; largest packages (MB): {sizes}",
    )


def check_bot(engine: Engine) -> tuple[str, str]:
    from bot.testing.fake_api import FakeBotApi

    api = FakeBotApi(TOKEN).start()
    process: subprocess.Popen[str] | None = None
    try:
        env = {"BOT_TOKEN": TOKEN, "MELNEV_BASE_URL": api.url}
        process = engine.serve(env)
        started = time.monotonic()
        _wait(lambda: bool(api.calls_of("getUpdates")), process, "the bot never polled")
        polled = time.monotonic() - started
        api.send_message(PHOTO_USER, photo=PHOTO.read_bytes())
        api.send_message(HELP_USER, text="/help")
        _wait(
            lambda: (
                bool(api.calls_of("sendMessage", PHOTO_USER))
                and bool(api.calls_of("sendMessage", HELP_USER))
            ),
            process,
            "no answer to the photo and /help",
        )
        answered = time.monotonic() - started - polled
        (answer,) = api.calls_of("sendMessage", PHOTO_USER)
        text = str(answer.params.get("text", ""))
        if not text.startswith("Risk:"):
            raise CheckError(f"the photo got no risk answer: {text[:200]!r}")
        help_text = str(api.calls_of("sendMessage", HELP_USER)[0].params.get("text", ""))
        if not help_text or help_text.startswith("Risk:"):
            raise CheckError(f"/help got {help_text[:200]!r}")
        signalled = time.monotonic()
        engine.terminate(process)
        try:
            _, stderr = process.communicate(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise CheckError(f"still running {EXIT_TIMEOUT_S:.0f} s after SIGTERM") from None
        stopped = time.monotonic() - signalled
        if process.returncode != 0:
            raise CheckError(f"exit code {process.returncode} after SIGTERM: {stderr[-2000:]}")
        if "Traceback" in stderr:
            raise CheckError(f"a traceback in the bot's log: {stderr[-2000:]}")
        written = engine.written()
        if written:
            raise CheckError(f"files written while serving: {written[:20]}")
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.communicate()
        api.stop()
    first_line = text.splitlines()[0]
    return (
        f"first getUpdates {polled:.1f} s after start; photo -> {first_line!r}, /help -> "
        f"{help_text.splitlines()[0][:60]!r} in {answered:.1f} s; SIGTERM -> exit 0 in "
        f"{stopped:.1f} s",
        "no file added, changed or removed in the container while serving",
    )


def _wait(condition: Any, process: subprocess.Popen[str], message: str) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while not condition():
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise CheckError(f"{message}: exited with {process.returncode}: {stderr[-2000:]}")
        if time.monotonic() > deadline:
            raise CheckError(f"{message} within {SERVE_TIMEOUT_S:.0f} s")
        time.sleep(0.05)


def _env_of(config: dict[str, Any]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in config.get("Env") or [])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["buildah", "docker"], required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--storage-driver", default=os.environ.get("STORAGE_DRIVER", "vfs"))
    args = parser.parse_args(argv)
    engine: Engine = (
        Buildah(args.image, args.storage_driver) if args.engine == "buildah" else Docker(args.image)
    )
    failures = 0

    def report(name: str, check: Any, *check_args: Any) -> None:
        nonlocal failures
        try:
            result = check(*check_args)
        except CheckError as error:
            failures += 1
            print(f"FAIL  {name}: {error}", flush=True)
            return
        for line in result if isinstance(result, tuple) else (result,):
            print(f"ok    {name}: {line}", flush=True)

    try:
        config = engine.config()
        report("user", check_user, engine, config)
        report("healthcheck", check_healthcheck, engine, config)
        report("healthcheck fails", check_healthcheck_fails, engine, config)
        report("contents", check_contents, engine)
        report("bot", check_bot, engine)
    except CheckError as error:
        print(f"FAIL  {error}", flush=True)
        failures += 1
    finally:
        engine.cleanup()
    print(f"{failures} check(s) failed" if failures else "all image checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
