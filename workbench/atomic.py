"""Atomic output: a file or a whole folder appears complete with one rename, or not at all.

Every writer in workbench goes through here, so a killed run never leaves half a file where a reader (the app, CI,
the next step of a pipeline) would take it for a finished one. Temps carry the writer's process id in their name
(`.NAME.PID.XXXX.tmp`), so the next writer of the same path removes those a dead process left (`sweep_stale`).

`check_output_dir` / `check_output_file` check an output location before any work: every command that writes calls
one of them first, so a bad `--out` is a message (exit 2) before a record is read or a model loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from workbench.errors import UserError

__all__ = [
    "atomic_dir",
    "atomic_file",
    "atomic_write",
    "check_output_dir",
    "check_output_file",
    "sweep_stale",
    "write_json",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _usual_mode(path: str | os.PathLike, directory: bool) -> None:
    """mkstemp/mkdtemp make private 0600/0700 temps: give the output the mode a plain open()/mkdir() would."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temp file beside `path`; on a clean exit it is renamed over `path`, on an error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "b" not in mode:
        open_kwargs.setdefault("encoding", "utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        _usual_mode(tmp, directory=False)
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write `data` (text as UTF-8, or bytes) to `path` through a temp file and one rename."""
    with atomic_file(path, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data)
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 2, **dump_kwargs: Any) -> Path:
    """`obj` as UTF-8 JSON (non-ASCII kept as is, so Korean stays readable), ending in a newline."""
    with atomic_file(path) as fh:
        json.dump(obj, fh, indent=indent, ensure_ascii=False, **dump_kwargs)
        fh.write("\n")
    return Path(path)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Build a folder in a temp sibling; on a clean exit it replaces `path` whole (the old one is removed after the
    swap), on an error the temp folder is removed, `path` is left as it was, and parent folders this call created are
    removed again. Temps a dead process left beside `path` are removed first (`sweep_stale`)."""
    path = Path(path)
    created = _missing(path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent))
    try:
        _usual_mode(tmp, directory=True)
        yield tmp
        _swap(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for d in created:  # deepest first; stops at the first that is not empty
            try:
                d.rmdir()
            except OSError:
                break
        raise


def _swap(tmp: Path, path: Path) -> None:
    """`tmp` becomes `path`; an old `path` is moved aside first and put back if the second rename fails."""
    old = None
    if path.exists() or path.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".old", dir=path.parent))
        os.replace(path, old / path.name)
    try:
        os.replace(tmp, path)
    except BaseException:
        if old is not None:
            os.replace(old / path.name, path)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _missing(d: Path) -> list[Path]:
    """`d` and its ancestors that don't exist yet, deepest first."""
    out = []
    while not d.exists() and d != d.parent:
        out.append(d)
        d = d.parent
    return out


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def sweep_stale(path: str | os.PathLike) -> list[Path]:
    """Remove the temps (`.NAME.PID.XXXX.tmp`, files or folders) and set-aside copies (`.NAME.PID.XXXX.old`) that a
    process no longer running left beside `path`; a copy set aside by a process killed in the middle of a swap is put
    back when `path` is missing. Temps of live processes (a concurrent writer) are left alone. Returns what it removed."""
    path = Path(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[a-z0-9_]+\.(tmp|old)")
    removed = []
    for name in sorted(names, key=lambda n: not n.endswith(".old")):  # restore a set-aside copy before anything
        m = pattern.fullmatch(name)
        if not m or _alive(int(m.group(1))):
            continue
        stale = path.parent / name
        if m.group(2) == "old" and (stale / path.name).exists() and not (path.exists() or path.is_symlink()):
            os.replace(stale / path.name, path)
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
        removed.append(stale)
    return removed


# -- output locations, checked before the work ------------------------------------------------------------------------
def check_output_file(path: str | os.PathLike, *, option: str = "--out", example: str | None = None) -> Path:
    """`path` can be written as a file: not a folder (nor spelled as one, ending in /), its folder exists or can be
    created, and is writable. Raises UserError naming `option` and the path, with a fix (naming the file `example`
    in the folder); writes nothing."""
    text = os.fspath(path)
    p = Path(text)
    if text.endswith(("/", os.sep)) or p.is_dir():
        raise UserError(
            f"{option} {text}: is a folder, but a file name is needed here",
            hint=f"name the output file, e.g. {option} {p / (example or 'out' + (p.suffix or '.jsonl'))}",
        )
    _check_writable(p.parent, option, text)
    return p


def check_output_dir(path: str | os.PathLike, *, option: str = "--out", replaces: Iterable[str] | None = None) -> Path:
    """`path` can be (re)made as a folder: not a file, its parent exists or can be created and is writable. With
    `replaces` (the names the command writes there), an existing folder holding anything else is refused, because the
    command swaps the whole folder in with one rename. Raises UserError naming `option` and the path, with a fix."""
    text = os.fspath(path)
    p = Path(text)
    if p.exists() and not p.is_dir():
        raise UserError(
            f"{option} {text}: is a file, but this output is a folder",
            hint=f"choose a folder path (it is created), e.g. {option} {p.with_suffix('')}-out, or remove the file",
        )
    if replaces is not None and p.is_dir():
        if p.resolve() == Path.cwd().resolve():
            raise UserError(
                f"{option} {text}: is the current folder, which this command would replace whole",
                hint=f"name a new folder, e.g. {option} audit",
            )
        known = set(replaces)
        try:
            other = sorted(n for n in os.listdir(p) if n not in known and not n.startswith(".curate-"))
        except OSError as e:
            raise UserError(f"{option} {text}: cannot list the folder ({e.strerror})") from None
        if other:
            shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
            raise UserError(
                f"{option} {text}: the folder holds files this command did not write ({shown}); it replaces the "
                "folder whole",
                hint=f"choose a new or empty folder, e.g. {option} {p / 'audit'}",
            )
    _check_writable(p.resolve().parent if p.exists() else p.parent, option, text)
    return p


def _check_writable(folder: Path, option: str, text: str) -> None:
    """The nearest existing ancestor of `folder` is a folder this process can create entries in (tried with a temp
    folder that is removed at once, which also catches read-only mounts and /proc, where access() would not)."""
    base = folder if str(folder) else Path(".")
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise UserError(
            f"{option} {text}: {base} is a file, so no folder can be made under it", hint="choose another path"
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=base))
    except OSError as e:
        raise UserError(
            f"{option} {text}: cannot write in {base} ({e.strerror or e})",
            hint="choose a folder you can write to, e.g. one under your home or the current folder",
        ) from None
