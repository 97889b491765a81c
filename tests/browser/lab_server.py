"""A private JupyterLab server for the browser tests, on 127.0.0.1 only, in a throwaway directory.

The server serves a *mirror* of the repository: ``notebooks/`` holds copies of the seminar notebooks
with their committed outputs stripped (so every output the test sees was produced by this run, and the
real files are never touched), and ``pics/`` is copied beside it so that the notebooks' ``../pics/...``
images resolve exactly as in a clone. Its root is the mirror's top, not ``notebooks/``: JupyterLab
serves no file above its root, so with ``root_dir=notebooks`` every ``../pics`` image is broken. Settings, workspaces, runtime files, IPython's directory and the
model checkpoints all live in the same temporary directory, which :meth:`LabServer.stop` removes.

Nothing leaves the machine: the update check and the news feed are off (server flags and user
settings), the extension manager is read-only, and the kernels see proxy variables that point at a
closed local port, so a stray HTTP download fails at once instead of reaching out.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat

from tools.paths import ROOT

REPO = ROOT  # the checkout
# JupyterLab user settings written for the session (plugin id -> values).
USER_SETTINGS = {
    # no "Would you like to get notified about official Jupyter news?" toast, no request for it
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # the copies are never saved
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, a connection is refused at once


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def strip_outputs(src: Path, dst: Path) -> None:
    """Copy the notebook ``src`` to ``dst`` without outputs, execution counts or saved widget state."""
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, dst)


class LabServer:
    """``jupyter lab`` from this virtual environment, serving a stripped mirror of the repository.

    ``url(path)`` gives an address with the token; ``api(...)`` calls the REST API; ``stop()`` shuts
    every kernel down, stops the server and removes the temporary directory.
    """

    def __init__(self, repo: Path = REPO, *, startup_timeout: float = 90.0) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="seminar-browser-"))
        self.root = self.tmp / "root"
        self.runtime_dir = self.tmp / "runtime"
        self.log_path = self.tmp / "server.log"
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None
        self._mirror(repo)
        self._start(startup_timeout)

    # -- setting up ------------------------------------------------------------------------------
    def _mirror(self, repo: Path) -> None:
        (self.root / "notebooks").mkdir(parents=True)
        for path in sorted((repo / "notebooks").glob("*.ipynb")):
            strip_outputs(path, self.root / "notebooks" / path.name)
        if (repo / "pics").is_dir():
            shutil.copytree(repo / "pics", self.root / "pics")

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"MPLBACKEND", "JUPYTER_PATH"}}
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "IPYTHONDIR": "ipython",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
            "SEMINAR_CHECKPOINT_DIR": "checkpoints",
        }
        for var, name in dirs.items():
            (self.tmp / name).mkdir(exist_ok=True)
            env[var] = str(self.tmp / name)
        for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[var] = DEAD_PROXY
        env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
        env["SEMINAR_FAST"] = "1"  # kernels inherit the server's environment
        return env

    def _write_settings(self, settings_dir: Path) -> None:
        for plugin, values in USER_SETTINGS.items():
            path = settings_dir / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")

    def _start(self, timeout: float) -> None:
        env = self._environment()
        self._write_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
        jupyter = Path(sys.executable).with_name("jupyter")
        cmd = [
            str(jupyter),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",
            # window.jupyterapp: read the notebook model (outputs of type "error")
            "--LabApp.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI containers run as root
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                cmd, env=env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self._process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except OSError as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log_tail()}"
                    ) from error
                time.sleep(0.25)

    # -- using it --------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """``http://127.0.0.1:<port>/<path>`` with the token appended."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10.0):
        """Call the server's REST API; the decoded JSON answer (``None`` when empty)."""
        request = urllib.request.Request(
            self.base + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, no proxy
        with opener.open(request, timeout=timeout) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut every running kernel down (after each notebook: a torch kernel holds ~0.5 GB)."""
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- tearing down ----------------------------------------------------------------------------
    def _stray_kernels(self) -> list[int]:
        """Processes still using this server's runtime directory (kernels whose connection file is there)."""
        marker = str(self.runtime_dir).encode()
        pids = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
        return pids

    def stop(self) -> list[int]:
        """Stop kernels and server, remove the temporary directory; the ids of processes that had to be killed."""
        killed: list[int] = []
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                self.shutdown_kernels()
            except OSError:
                pass
            process.send_signal(signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
                killed.append(process.pid)
        if Path("/proc").is_dir():
            for pid in self._stray_kernels():  # kernels run in their own sessions: end them by id
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        return killed
