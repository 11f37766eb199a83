"""The broker's jars: Java and Maven checked, jars fetched once into a cache outside the tree."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from broker.errors import BrokerError

KAFKA_VERSION = "4.1.1"
MIN_JAVA = 17
POM = Path(__file__).with_name("pom.xml")
# Both must be present for a download to count as complete.
MARKER_JARS = (f"kafka_2.13-{KAFKA_VERSION}.jar", "log4j-core-2.24.3.jar")
# Records which pom a download came from, so editing the pom refreshes the cache.
STAMP = "pom.sha256"

Which = Callable[[str], str | None]


def parse_java_major(text: str) -> int:
    """Major Java version from `java -version` output ("1.8.0" is 8, "17.0.15" is 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if match is None:
        raise BrokerError(f"could not read the Java version from: {text.strip()[:200]!r}")
    major = int(match[1])
    return int(match[2] or 0) if major == 1 else major


def java_major(java: str) -> int:
    """Major version of the given java binary."""
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    return parse_java_major(out.stderr + out.stdout)


def check_prerequisites(
    *,
    need_mvn: bool = True,
    which: Which = shutil.which,
    java_version: Callable[[str], int] = java_major,
) -> str:
    """Fail with a plain message unless Java 17+ (and Maven if needed) are on PATH; return java."""
    java = which("java")
    missing = []
    if java is None:
        missing.append(
            f"Java {MIN_JAVA}+ is required (java not found on PATH): "
            "install a JDK such as openjdk-17-jdk-headless, or put its bin/ on PATH."
        )
    if need_mvn and which("mvn") is None:
        missing.append(
            "Maven is required to fetch the Kafka jars once (mvn not found on PATH): "
            "install maven, or put its bin/ on PATH."
        )
    if missing or java is None:
        raise BrokerError("\n".join(missing))
    major = java_version(java)
    if major < MIN_JAVA:
        raise BrokerError(
            f"Java {MIN_JAVA}+ is required (found Java {major} at {java}): "
            f"install a newer JDK or put it first on PATH."
        )
    return java


def jars_dir(cache_dir: Path) -> Path:
    """Where the broker's jars live for this Kafka version."""
    return cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"


def pom_digest() -> str:
    """sha256 of broker/pom.xml."""
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def is_complete(libs: Path) -> bool:
    """True when libs holds a finished download of the current pom."""
    stamp = libs / STAMP
    if not stamp.is_file() or stamp.read_text().strip() != pom_digest():
        return False
    return all((libs / name).is_file() for name in MARKER_JARS)


def mvn_fetch(dest: Path) -> None:
    """Copy the pom's runtime dependencies into dest with Maven."""
    cmd = [
        "mvn", "-q", "-B", "dependency:copy-dependencies",
        f"-DoutputDirectory={dest}", "-DincludeScope=runtime", "-f", str(POM),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-20:])
        raise BrokerError(f"mvn could not fetch the Kafka jars (exit {out.returncode}):\n{tail}")


def install_jars(libs: Path, fetch: Callable[[Path], None] = mvn_fetch) -> Path:
    """Fetch into a temporary sibling and rename it to libs, so a broken download never counts."""
    libs.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{libs.name}.partial-", dir=libs.parent))
    try:
        fetch(partial)
        (partial / STAMP).write_text(pom_digest() + "\n")
        if not is_complete(partial):
            raise BrokerError(f"jar download in {partial} is missing one of {MARKER_JARS}")
        if libs.exists() and not is_complete(libs):  # from an older pom: move it out of the way
            libs.rename(partial.with_name(partial.name + "-old"))
        try:
            partial.rename(libs)
        except OSError:
            # Another process finished the same download first; its copy is as good as ours.
            if not is_complete(libs):
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(partial.with_name(partial.name + "-old"), ignore_errors=True)
    return libs


def ensure_jars(cache_dir: Path, *, which: Which = shutil.which) -> Path:
    """Check Java (and Maven when a download is needed), fetch the jars once, return their dir."""
    libs = jars_dir(cache_dir)
    complete = is_complete(libs)
    check_prerequisites(need_mvn=not complete, which=which)
    return libs if complete else install_jars(libs)
