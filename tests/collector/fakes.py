"""Fake inventory tools for the collector tests: small shell scripts in a folder that becomes
the collector's whole PATH. They print real outputs from ../shared/corpus, or fail, or hang.

The scripts call /bin/cat and /bin/sleep by absolute path, so that PATH can hold only the fake
folder: a tool that is not faked is missing, whatever the test machine has installed.
"""

from __future__ import annotations

import json
import shlex
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

COLLECTOR = Path(__file__).resolve().parents[2] / "collector" / "reanimator_collect.py"

R6515 = "ironlib-fixtures/dell/r6515"
RACKHD_SMARTCTL_TEXT = "rackhd-on-tasks-samples/smartctrl.txt"
NVME_LIST = "dmidecode-netbox-agent/inventory/nvme.json"
IPMI_FRU = "rackhd-on-tasks-samples/quanta_fru.txt"
NETBOX_DMIDECODE = "dmidecode-netbox-agent/dmidecode/SM_SSG-6028R"

# What smartmontools before 7.0 answers to --json (and to -j, which it reads as options).
OLD_SMARTCTL_REFUSAL = (
    "smartctl 6.2 2013-07-26 r3841 [x86_64-linux-3.13.0-32-generic] (local build)\n"
    "Copyright (C) 2002-13, Bruce Allen, Christian Franke, www.smartmontools.org\n\n"
    "=======> UNRECOGNIZED OPTION: json\n"
    "=======> VALID ARGUMENTS ARE: ...\n"
    "Use smartctl -h to get a usage summary\n\n"
)


def _write_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _q(value: object) -> str:
    return shlex.quote(str(value))


@dataclass
class FakeTools:
    """A folder of fake tools; `path` is the PATH the collector runs with."""

    folder: Path
    corpus: Path
    calls: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.calls = self.folder.parent / "calls.log"

    @property
    def path(self) -> str:
        return str(self.folder)

    def _log(self, name: str) -> str:
        return f'printf "%s\\n" "{name} $*" >> {_q(self.calls)}\n'

    def prints(self, name: str, corpus_file: str, *, exit_code: int = 0) -> None:
        """A tool that prints one corpus file, whatever its arguments."""
        _write_script(
            self.folder / name,
            self._log(name) + f"/bin/cat {_q(self.corpus / corpus_file)}\nexit {exit_code}\n",
        )

    def fails(self, name: str, message: str, *, exit_code: int = 1) -> None:
        _write_script(self.folder / name, self._log(name) + f"printf '%s\\n' {_q(message)} >&2\nexit {exit_code}\n")

    def hangs(self, name: str) -> None:
        """A tool that never answers (a BMC that does not reply to ipmitool, a wedged disk);
        it starts a child too, which the collector's timeout must kill with it."""
        _write_script(self.folder / name, self._log(name) + "/bin/sleep 300 &\nexec /bin/sleep 300\n")

    def smartctl(self, corpus_dir: str = R6515 + "/smartctl") -> None:
        """smartctl 7.x: `--scan -j` prints the corpus scan.json; `--json -a DEV` prints DEV's
        file with the exit status the real run had (its bit mask, kept in the JSON)."""
        folder = self.corpus / corpus_dir
        cases = []
        for path in sorted(folder.glob("*.json")):
            if path.stem == "scan":
                continue
            status = json.loads(path.read_text())["smartctl"].get("exit_status", 0)
            cases.append(f"  /dev/{path.stem}) /bin/cat {_q(path)}; exit {int(status)};;\n")
        body = (
            self._log("smartctl")
            + 'case "$*" in\n'
            + f'  "--scan -j") exec /bin/cat {_q(folder / "scan.json")};;\n'
            + "esac\n"
            + 'for last in "$@"; do :; done\n'
            + 'case "$last" in\n'
            + "".join(cases)
            + '  *) echo "Smartctl open device: $last failed: No such device"; exit 2;;\n'
            + "esac\n"
        )
        _write_script(self.folder / "smartctl", body)

    def old_smartctl(self, text_output: Path) -> None:
        """smartmontools before 7.0: no JSON output at all; a text scan of one disk and `-a` in text."""
        body = (
            self._log("smartctl")
            + 'case "$*" in\n'
            + f"  *json*|*-j*) printf '%s' {_q(OLD_SMARTCTL_REFUSAL)}; exit 1;;\n"
            + "  --scan) echo '/dev/sda -d scsi # /dev/sda, SCSI device'; exit 0;;\n"
            + f'  "-a /dev/sda") /bin/cat {_q(text_output)}; exit 0;;\n'
            + "esac\n"
            + "exit 2\n"
        )
        _write_script(self.folder / "smartctl", body)

    def called(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


def smartctl_text_block(corpus: Path, tmp_path: Path) -> Path:
    """One device's `smartctl -a` text from the RackHD capture (the /dev/sda1 block: smartctl
    5.41, a Micron P400e); the capture's `####device` separator lines are not smartctl's output."""
    lines = (corpus / RACKHD_SMARTCTL_TEXT).read_text(errors="replace").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("####/dev/sda1"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("####"))
    path = tmp_path / "smartctl-6.2-sda.txt"
    path.write_text("".join(lines[start + 1 : end]))
    return path


def run_collector(
    *args: str, path: str, python: str = sys.executable, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The collector as a server runs it: its own process, isolated from this virtualenv
    (-I -S: no site-packages, no PYTHON* variables), with PATH = the fake tools only."""
    return subprocess.run(
        [python, "-I", "-S", str(COLLECTOR), *args],
        env={"PATH": path, "LC_ALL": "C", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
