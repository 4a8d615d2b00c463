#!/usr/bin/python3
"""hddsim: a FUSE file system with one file, a disk image, served at the speed of a 7200 rpm disk.

usage: hddsim.py [--queue fifo|ncq] [--depth N] [--model on|off] [--capacity BYTES]
                 [--seek-min-ms MS] [--seek-full-ms MS] [--rotation-ms MS] [--mb-per-s MBPS]
                 [--aging-ms MS] [--early-us US] [--stats-file PATH] [--max-tasks N]
                 [--debug-fuse] IMAGE MOUNTPOINT

MOUNTPOINT/disk.img is IMAGE (a regular file, e.g. a sparse ext4 image on /var/tmp): attach it with
`losetup --direct-io=on` and mount the loop device. Every read and write of disk.img goes through
one modelled disk that serves one request at a time and sleeps the modelled time before replying
(the bytes themselves come from IMAGE, usually from its page cache):

  - a request that starts where the previous one ended: transfer time only, size / --mb-per-s
    (160 MB/s, 10^6 bytes);
  - any other: a seek of --seek-min-ms + (--seek-full-ms - --seek-min-ms) x sqrt(distance / capacity)
    (1 ms + 7.5 ms x sqrt(d / C), so 8.5 ms full stroke), plus --rotation-ms of rotational latency
    (4.17 ms, half a turn at 7200 rpm), plus the transfer time.

Which pending request is served next:
  fifo  in arrival order (a disk without a command queue, or NCQ off);
  ncq   among the --depth oldest pending requests (32, SATA NCQ), the one with the shortest
        positioning time (a request continuing where the last ended first, then the nearest); a
        request that waited longer than --aging-ms (500) is served next whatever its distance.

The clock is the disk's: a request starts when the disk finished the previous one or when the
request arrived, whichever is later, so the daemon's own overhead hides inside the modelled time
instead of adding to it (as long as it is shorter). The reply is handed over --early-us (200 us)
before the modelled end, the measured cost of the hop from the scheduler thread back to the trio
task that sends the reply; with it a lone 4 KiB random read takes its modelled time plus about
0.2 ms of loop, ext4, FUSE and Python overhead (0.1 ms of which a real disk's stack would add too).

MOUNTPOINT/control is the control file. Reading it returns the counters as one JSON object:
requests, reads, writes, seeks, bytes_read, bytes_written, busy_s (modelled), the queue depth seen
when each request was picked (depth_max, depth_mean, depth_hist), and the model's settings. Writing
one of these lines to it changes the daemon:
  model on | model off      sleep the modelled time, or serve at memory speed (while filling)
  queue fifo | queue ncq    the scheduling policy
  depth N                   the command queue depth for ncq
  reset                     zero the counters (the head position stays)
SIGUSR1 writes the same JSON to --stats-file (default: IMAGE.stats.json).

Needs Debian's python3-pyfuse3 (libfuse3, trio). Run as root; unmount with `fusermount3 -u
MOUNTPOINT` (the daemon exits) or send SIGTERM/SIGINT.
"""

import argparse
import ctypes
import errno
import json
import math
import os
import signal
import stat
import sys
import threading
import time

import pyfuse3
import trio

IMAGE_INODE = pyfuse3.ROOT_INODE + 1
CONTROL_INODE = pyfuse3.ROOT_INODE + 2
NAMES = {b"disk.img": IMAGE_INODE, b"control": CONTROL_INODE}
CONTROL_SIZE = 1 << 16  # reported size of the control file; reads return the JSON, then EOF


class Request:
    __slots__ = ("write", "offset", "size", "data", "arrival", "done", "result")

    def __init__(self, write, offset, size, data):
        self.write = write
        self.offset = offset
        self.size = size
        self.data = data
        self.arrival = time.monotonic()
        self.done = trio.Event()
        self.result = None


def set_timer_slack(ns):
    """Tighter sleeps for this thread (the default slack of 50 us is a twentieth of a short seek)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(29, ctypes.c_ulong(ns), 0, 0, 0)  # PR_SET_TIMERSLACK
    except (OSError, AttributeError):
        pass


class Disk:
    """The modelled disk: a queue of pending requests and one thread that serves them in turn.

    The scheduler is a thread, not a trio task, because trio's sleeps wake up to a millisecond late
    (epoll's timeout is in whole milliseconds), a tenth of a random read; time.sleep in a thread
    with a small timer slack is accurate to tens of microseconds. FUSE requests are still received
    and answered by trio tasks, many at a time, so the queue the kernel hands over is the queue the
    scheduler sees.
    """

    def __init__(self, fd, args):
        self.fd = fd
        self.capacity = args.capacity or os.fstat(fd).st_size
        self.model = args.model == "on"
        self.queue = args.queue
        self.depth = args.depth
        self.seek_min = args.seek_min_ms / 1000
        self.seek_span = (args.seek_full_ms - args.seek_min_ms) / 1000
        self.rotation = args.rotation_ms / 1000
        self.bytes_per_s = args.mb_per_s * 1e6
        self.aging = args.aging_ms / 1000
        self.early = args.early_us / 1e6
        self.lag = 0.0001  # running mean of how late time.sleep wakes up
        self.lock = threading.Condition()
        self.pending = []
        self.stopping = False
        self.token = None  # trio token, to complete requests from the scheduler thread
        self.head = 0  # byte offset where the last request ended
        self.free_at = 0.0  # disk clock: when the last request finished (time.monotonic)
        self.reset()

    def reset(self):
        self.requests = self.reads = self.writes = self.seeks = 0
        self.bytes_read = self.bytes_written = 0
        self.busy = 0.0
        self.late = 0.0
        self.depth_hist = {}
        self.unmodelled = 0
        self.since = time.time()

    def positioning(self, req):
        if req.offset == self.head:
            return 0.0
        distance = abs(req.offset - self.head)
        return self.seek_min + self.seek_span * math.sqrt(min(1.0, distance / self.capacity)) + self.rotation

    def do_io(self, req):
        if req.write:
            return os.pwrite(self.fd, req.data, req.offset)
        return os.pread(self.fd, req.size, req.offset)

    def count_io(self, req, result):
        if req.write:
            self.writes += 1
            self.bytes_written += result
        else:
            self.reads += 1
            self.bytes_read += len(result)

    async def submit(self, write, offset, size, data=None):
        req = Request(write, offset, size, data)
        if not self.model:
            # Memory speed: no queue, no clock; the head still moves.
            result = self.do_io(req)
            with self.lock:
                self.requests += 1
                self.unmodelled += 1
                self.count_io(req, result)
                self.head = offset + size
            return result
        with self.lock:
            self.pending.append(req)
            self.lock.notify()
        await req.done.wait()
        if isinstance(req.result, BaseException):
            raise req.result
        return req.result

    def pick(self, now):
        pending = self.pending
        if self.queue == "fifo" or len(pending) == 1:
            return 0
        if now - pending[0].arrival > self.aging:
            return 0
        best, best_cost = 0, None
        for i in range(min(self.depth, len(pending))):
            cost = self.positioning(pending[i])
            if best_cost is None or cost < best_cost:
                best, best_cost = i, cost
                if cost == 0.0:
                    break
        return best

    def stop(self):
        with self.lock:
            self.stopping = True
            self.lock.notify()

    def run(self):
        set_timer_slack(1000)
        while True:
            with self.lock:
                while not self.pending and not self.stopping:
                    self.lock.wait()
                if self.stopping:
                    return
                now = time.monotonic()
                n = len(self.pending)
                self.depth_hist[n] = self.depth_hist.get(n, 0) + 1
                req = self.pending.pop(self.pick(now))
                positioning = self.positioning(req)
                service = positioning + req.size / self.bytes_per_s
                self.requests += 1
                if positioning:
                    self.seeks += 1
                self.busy += service
                start = max(self.free_at, req.arrival)
                end = start + service
                self.free_at = end
                self.head = req.offset + req.size
                model = self.model
            try:
                result = self.do_io(req)
                with self.lock:
                    self.count_io(req, result)
            except OSError as e:
                result = pyfuse3.FUSEError(e.errno)
            req.result = result
            if model:
                target = end - self.early
                delay = target - self.lag - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                    # time.sleep wakes up late by a scheduling latency (tens to hundreds of
                    # microseconds on a busy machine); aim earlier by its running mean.
                    woke = time.monotonic()
                    self.lag = min(0.001, max(0.0, 0.9 * self.lag + 0.1 * (woke - (target - self.lag))))
                late = time.monotonic() - target
                if late > 0:
                    self.late += late
            self.token.run_sync_soon(req.done.set)

    def stats(self):
        with self.lock:
            return self._stats()

    def _stats(self):
        total = sum(self.depth_hist.values())
        return {
            "requests": self.requests,
            "reads": self.reads,
            "writes": self.writes,
            "seeks": self.seeks,
            "bytes_read": self.bytes_read,
            "bytes_written": self.bytes_written,
            "busy_s": round(self.busy, 6),
            "late_s": round(self.late, 6),
            "wake_lag_us": round(self.lag * 1e6, 1),
            "unmodelled_requests": self.unmodelled,
            "depth_max": max(self.depth_hist) if self.depth_hist else 0,
            "depth_mean": round(sum(k * v for k, v in self.depth_hist.items()) / total, 3) if total else 0,
            "depth_hist": {str(k): v for k, v in sorted(self.depth_hist.items())},
            "model": "on" if self.model else "off",
            "queue": self.queue,
            "ncq_depth": self.depth,
            "capacity": self.capacity,
            "since": self.since,
            "now": time.time(),
        }

    def command(self, line):
        words = line.split()
        if not words:
            return
        if words[0] == "model" and len(words) == 2 and words[1] in ("on", "off"):
            with self.lock:
                self.model = words[1] == "on"
        elif words[0] == "queue" and len(words) == 2 and words[1] in ("fifo", "ncq"):
            self.queue = words[1]
        elif words[0] == "depth" and len(words) == 2 and words[1].isdigit() and int(words[1]) > 0:
            self.depth = int(words[1])
        elif words == ["reset"]:
            with self.lock:
                self.reset()
        else:
            raise pyfuse3.FUSEError(errno.EINVAL)


class Operations(pyfuse3.Operations):
    def __init__(self, disk, image_path):
        super().__init__()
        self.disk = disk
        self.image_path = image_path
        self.control_snapshots = {}
        self.next_fh = 10

    def attrs(self, inode):
        entry = pyfuse3.EntryAttributes()
        st = os.stat(self.image_path)
        if inode == pyfuse3.ROOT_INODE:
            entry.st_mode = stat.S_IFDIR | 0o755
            entry.st_nlink = 2
            entry.st_size = 0
        elif inode == IMAGE_INODE:
            entry.st_mode = stat.S_IFREG | 0o600
            entry.st_nlink = 1
            entry.st_size = os.fstat(self.disk.fd).st_size
        elif inode == CONTROL_INODE:
            entry.st_mode = stat.S_IFREG | 0o600
            entry.st_nlink = 1
            entry.st_size = CONTROL_SIZE
        else:
            raise pyfuse3.FUSEError(errno.ENOENT)
        entry.st_ino = inode
        entry.st_uid = st.st_uid
        entry.st_gid = st.st_gid
        entry.st_blksize = 4096
        entry.st_blocks = (entry.st_size + 511) // 512
        entry.st_atime_ns = entry.st_mtime_ns = entry.st_ctime_ns = st.st_mtime_ns
        entry.attr_timeout = 1
        entry.entry_timeout = 1
        return entry

    async def getattr(self, inode, ctx=None):
        return self.attrs(inode)

    async def lookup(self, parent_inode, name, ctx=None):
        if parent_inode != pyfuse3.ROOT_INODE or name not in NAMES:
            raise pyfuse3.FUSEError(errno.ENOENT)
        return self.attrs(NAMES[name])

    async def setattr(self, inode, attr, fields, fh, ctx):
        if inode == IMAGE_INODE and fields.update_size:
            os.ftruncate(self.disk.fd, attr.st_size)
        return self.attrs(inode)

    async def opendir(self, inode, ctx):
        if inode != pyfuse3.ROOT_INODE:
            raise pyfuse3.FUSEError(errno.ENOTDIR)
        return inode

    async def readdir(self, fh, start_id, token):
        entries = sorted(NAMES.items())
        for i, (name, inode) in enumerate(entries):
            if i < start_id:
                continue
            if not pyfuse3.readdir_reply(token, name, self.attrs(inode), i + 1):
                break

    async def releasedir(self, fh):
        pass

    async def open(self, inode, flags, ctx):
        if inode == IMAGE_INODE:
            return pyfuse3.FileInfo(fh=IMAGE_INODE, direct_io=True)
        if inode == CONTROL_INODE:
            fh = self.next_fh
            self.next_fh += 1
            self.control_snapshots[fh] = None
            return pyfuse3.FileInfo(fh=fh, direct_io=True, nonseekable=False)
        raise pyfuse3.FUSEError(errno.EISDIR)

    async def read(self, fh, off, size):
        if fh == IMAGE_INODE:
            return await self.disk.submit(False, off, size)
        if fh in self.control_snapshots:
            if self.control_snapshots[fh] is None or off == 0:
                self.control_snapshots[fh] = (json.dumps(self.disk.stats()) + "\n").encode()
            return self.control_snapshots[fh][off:off + size]
        raise pyfuse3.FUSEError(errno.EBADF)

    async def write(self, fh, off, buf):
        if fh == IMAGE_INODE:
            return await self.disk.submit(True, off, len(buf), buf)
        if fh in self.control_snapshots:
            for line in bytes(buf).decode("ascii", "replace").splitlines():
                self.disk.command(line)
            return len(buf)
        raise pyfuse3.FUSEError(errno.EBADF)

    async def flush(self, fh):
        pass

    async def fsync(self, fh, datasync):
        # The image's durability does not matter to a benchmark; the kernel writes it back.
        pass

    async def release(self, fh):
        self.control_snapshots.pop(fh, None)

    async def statfs(self, ctx):
        s = pyfuse3.StatvfsData()
        s.f_bsize = s.f_frsize = 4096
        s.f_blocks = os.fstat(self.disk.fd).st_size // 4096
        s.f_bfree = s.f_bavail = 0
        s.f_files = 3
        s.f_ffree = s.f_favail = 0
        s.f_namemax = 255
        return s


def parse_args(argv):
    p = argparse.ArgumentParser(description="FUSE-served disk image with a 7200 rpm disk's timing.")
    p.add_argument("image", help="backing image file (a regular file)")
    p.add_argument("mountpoint", help="empty directory to mount on")
    p.add_argument("--queue", choices=("fifo", "ncq"), default="ncq")
    p.add_argument("--depth", type=int, default=32, help="command queue depth for ncq (default 32)")
    p.add_argument("--model", choices=("on", "off"), default="on", help="sleep the modelled time (default on)")
    p.add_argument("--capacity", type=int, default=0, help="modelled capacity in bytes (default: image size)")
    p.add_argument("--seek-min-ms", type=float, default=1.0, help="track-to-track seek (default 1.0)")
    p.add_argument("--seek-full-ms", type=float, default=8.5, help="full-stroke seek (default 8.5)")
    p.add_argument("--rotation-ms", type=float, default=4.17, help="rotational latency (default 4.17)")
    p.add_argument("--mb-per-s", type=float, default=160.0, help="media transfer rate, 10^6 B/s (default 160)")
    p.add_argument("--aging-ms", type=float, default=500.0, help="ncq: oldest request served after this wait")
    p.add_argument("--early-us", type=float, default=200.0,
                   help="hand a reply to the FUSE side this long before the modelled end, for the hop "
                        "from the scheduler thread to the reply (default 200)")
    p.add_argument("--stats-file", help="where SIGUSR1 writes the counters (default IMAGE.stats.json)")
    p.add_argument("--max-tasks", type=int, default=99, help="pyfuse3 worker tasks (requests in flight)")
    p.add_argument("--debug-fuse", action="store_true", help="libfuse debug output")
    args = p.parse_args(argv)
    if args.depth < 1:
        p.error("--depth must be at least 1")
    return args


async def signal_watcher(disk, path):
    with trio.open_signal_receiver(signal.SIGUSR1, signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            if signum == signal.SIGUSR1:
                tmp = path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(disk.stats(), f)
                    f.write("\n")
                os.replace(tmp, path)
            else:
                return True


async def serve(disk, args):
    disk.token = trio.lowlevel.current_trio_token()
    scheduler = threading.Thread(target=disk.run, name="disk", daemon=True)
    scheduler.start()
    async with trio.open_nursery() as nursery:

        async def stop_on_signal():
            if await signal_watcher(disk, args.stats_file):
                pyfuse3.terminate()

        nursery.start_soon(stop_on_signal)
        try:
            await pyfuse3.main(min_tasks=1, max_tasks=args.max_tasks)
        finally:
            disk.stop()
            nursery.cancel_scope.cancel()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.stats_file = args.stats_file or args.image + ".stats.json"
    fd = os.open(args.image, os.O_RDWR)
    disk = Disk(fd, args)
    ops = Operations(disk, args.image)
    options = set(pyfuse3.default_options)
    options.add("fsname=hddsim")
    options.add("subtype=hddsim")
    if args.debug_fuse:
        options.add("debug")
    pyfuse3.init(ops, args.mountpoint, options)
    try:
        trio.run(serve, disk, args)
    finally:
        pyfuse3.close(unmount=True)
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
