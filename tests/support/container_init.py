"""The inside half of tests/support/container.py: becomes the container's process 1.

Started by ``unshare --mount --pid --fork`` (so it is process 1 of a new PID namespace, in a private
mount namespace) with one argument, a JSON spec. It makes the image's root file system read-only,
mounts /proc, a minimal /dev and the writable or read-only volumes the spec names, then chroots,
switches to the image's user with no_new_privs set (as the chart's allowPrivilegeEscalation: false
does) and execs the command, which thereby is process 1 as in a pod. Run with the host's Python;
nothing of it remains after the exec. Linux and root only.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

PR_SET_NO_NEW_PRIVS = 38
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def main(spec_json: str) -> None:
    spec = json.loads(spec_json)
    root: str = spec["rootfs"]
    mount("--bind", root, root)
    mount("-o", "remount,bind,ro,nosuid,nodev", root)
    mount("-t", "proc", "-o", "nosuid,nodev,noexec", "proc", f"{root}/proc")
    mount("-t", "tmpfs", "-o", "nosuid,noexec,mode=755,size=64k", "tmpfs", f"{root}/dev")
    for name in DEVICES:
        open(f"{root}/dev/{name}", "w").close()  # an empty mount point
        mount("--bind", f"/dev/{name}", f"{root}/dev/{name}")
    os.symlink("/proc/self/fd", f"{root}/dev/fd")
    for name in ("hosts", "resolv.conf"):  # as runtimes do, where the image has the file
        if os.path.isfile(f"{root}/etc/{name}"):
            mount("--bind", "-o", "ro", f"/etc/{name}", f"{root}/etc/{name}")
    for volume in spec["mounts"]:
        target = f"{root}{volume['target']}"
        mount("--bind", volume["source"], target)
        if volume["read_only"]:
            mount("-o", "remount,bind,ro,nosuid,nodev", target)

    os.chroot(root)
    os.chdir(spec["cwd"])
    uid, gid = spec["uid"], spec["gid"]
    os.setgroups([gid])
    os.setgid(gid)
    os.setuid(uid)  # from root to another uid: every capability is dropped
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    argv: list[str] = spec["argv"]
    os.execvpe(argv[0], argv, spec["env"])


if __name__ == "__main__":
    main(sys.argv[1])
