"""Process CPU from /proc, for the scripts that measure a server of several processes."""
import os


def stat(pid):
    """The fields of /proc/PID/stat after the command name (None once the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def descendants(roots):
    """The roots and every process below them (by parent pid)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat(int(d))
            if st:
                parent[int(d)] = int(st[1])
    out, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.add(p)
        todo.extend(c for c, pp in parent.items() if pp == p)
    return out
