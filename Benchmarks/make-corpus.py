#!/usr/bin/env python3
"""Generate a deterministic, seeded file tree for benchmarking duplicate finders.

usage: make-corpus.py --files N --seed S --out DIR [--max-file-mb M] [--max-total-mb T]
                      [--big-files B] [--manifest PATH] [--median-kb K] [--sigma X] [--quiet]

The same arguments always give the same tree: names, sizes, contents, link structure and mtimes
(python3 standard library only). What it contains, and why:

  * N names of regular files (hard-link names included) under directories up to 12 levels deep.
  * Sizes from a log-normal distribution (median --median-kb, spread --sigma), like a media
    library: most files tens to hundreds of KB, some of a few MB, plus "big" files (one per 25,000
    files, at most 10, or --big-files) of up to --max-file-mb, hundreds of MB at 100k files. Total bytes are capped
    by --max-total-mb (default 48 KiB per file, at most 10 GiB: 100k files come to about 4.9 GB);
    sizes are scaled down to fit.
    About a third of the sizes are rounded to 4 KiB, so many distinct files share a size.
  * Duplicate classes of 2 to 20 members (mostly 2-3), each member placed either near (the same
    directory) or far (another top-level subtree).
  * Existing hard links: some class members are extra names of another member's inode, and some
    unique files have two or three names (one inode: not a duplicate).
  * Near misses of equal size: families that differ only in the last byte, and families with the
    same head and tail that differ only in one byte in the middle (some with a true copy as well).
  * Symbolic links to files, to directories (one of them to an ancestor: a loop), and one dangling;
    tools must neither follow nor count them.
  * A few empty files (never duplicates here), hidden files and a hidden directory, names with
    spaces and UTF-8, and a few names (and one directory) that are not valid UTF-8.

Contents come from a seeded 8 MiB random block: each file is a slice of it at an offset chosen by
its content id, with the content id stamped in its first 8 bytes, so generation costs about what
writing costs. The manifest (JSON, written last and OUTSIDE the tree, by default DIR.manifest.json)
lists every expected duplicate class, found by hashing the bytes actually generated: a class is a set
of equal-content files with at least two distinct inodes; files of one class that share an inode
carry the same "inode" number. Paths are relative to DIR; a name that is not UTF-8 is given as
"pathBase64" instead of "path".
"""

import argparse
import base64
import hashlib
import json
import math
import os
import random
import sys
import time

GENERATOR_VERSION = 1
POOL_SIZE = 8 << 20          # bytes of seeded random data all contents are cut from
CHUNK = 1 << 20              # write size
MAX_DEPTH = 12               # deepest directory level below DIR
FAR_PROBABILITY = 0.55       # a class member beyond the first goes to another subtree
HARDLINK_PROBABILITY = 0.15  # a class member beyond the second is a hard link, not a copy

EXTENSIONS = [b".jpg", b".jpg", b".jpg", b".png", b".heic", b".mp4", b".mov", b".mp3", b".flac",
              b".pdf", b".txt", b".raw", b".cr2", b".webp", b".mkv", b".json"]
DIR_WORDS = [b"photos", b"Camera Roll", b"export", b"raw", b"album", b"videos", b"backup", b"2019",
             b"2020", b"2021", b"2022", b"2023", b"music", b"scans", b"projects", b"old", b"misc",
             b"holiday", b"family", b"work", b"Fotos \xc3\xa4lter", b"\xe5\x86\x99\xe7\x9c\x9f"]
FILE_PREFIXES = [b"IMG_", b"DSC", b"VID_", b"track ", b"scan-", b"doc_", b"P", b"clip-"]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, required=True, help="names of regular files to create (e.g. 10000, 100000, 1000000)")
    p.add_argument("--seed", type=int, required=True, help="PRNG seed; same seed and options, same tree")
    p.add_argument("--out", required=True, help="directory to create (must not exist, or be empty)")
    p.add_argument("--max-file-mb", type=float, default=400.0, help="largest file size in MiB (default 400)")
    p.add_argument("--max-total-mb", type=float, default=None,
                   help="cap on total bytes written, MiB (default: 48 KiB per file, at most 10240)")
    p.add_argument("--median-kb", type=float, default=20.0, help="median size of ordinary files in KiB (default 20)")
    p.add_argument("--sigma", type=float, default=1.25, help="log-normal spread of sizes (default 1.25)")
    p.add_argument("--big-files", type=int, default=None,
                   help="big files (default one per 25,000 files, 1 to 10); the second is a far copy "
                        "of the first, the third the first's size with one byte changed in the middle")
    p.add_argument("--manifest", default=None, help="manifest path (default: DIR.manifest.json beside DIR)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = p.parse_args(argv)
    if args.files < 100:
        p.error("--files must be at least 100")
    if args.big_files is not None and not 1 <= args.big_files <= 10:
        p.error("--big-files must be 1 to 10")
    if args.max_file_mb <= 0 or (args.max_total_mb is not None and args.max_total_mb <= 0):
        p.error("sizes must be positive")
    out = os.path.abspath(args.out).rstrip("/")
    manifest = os.path.abspath(args.manifest) if args.manifest else out + ".manifest.json"
    if manifest == out or manifest.startswith(out + "/"):
        p.error("the manifest must be outside the tree it describes")
    args.out, args.manifest = out, manifest
    return args


class Plan:
    """Everything to create, decided up front from one PRNG so the tree is reproducible."""

    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.args = args
        self.dirs = []        # (parent index or -1, name bytes, depth, top-level index)
        self.contents = []    # (cid, size, variant) ; variant: None | ("last", k) | ("mid", k)
        self.inodes = []      # (content index, mtime)
        self.names = []       # (dir index, name bytes, inode index)
        self.symlinks = []    # (dir index, name bytes, target kind, target index)
        self.roles = {}       # content index -> role label, for the manifest
        self.name_counter = 0

    # -- directories -----------------------------------------------------------------------------
    def make_dirs(self):
        rng, n = self.rng, self.args.files
        self.dirs.append((-1, b"", 0, -1))  # index 0: the root itself
        tops = max(4, min(32, n // 2500))
        for t in range(tops):
            self.add_dir(0, rng.choice(DIR_WORDS) + b"-%02d" % t)
        # One guaranteed chain down to MAX_DEPTH.
        parent = 1
        for level in range(2, MAX_DEPTH + 1):
            parent = self.add_dir(parent, b"level-%02d" % level)
        self.deepest_dir = parent
        # Hidden and non-UTF-8 directories.
        self.hidden_dir = self.add_dir(2, b".thumbnails")
        self.add_dir(3, b"r\xe9sum\xe9s")  # Latin-1, not UTF-8
        total = max(len(self.dirs) + 4, n // 25)
        while len(self.dirs) < total:
            if rng.random() < 0.55:
                parent = len(self.dirs) - 1          # deepen the newest branch
            else:
                parent = rng.randrange(1, len(self.dirs))
            while self.dirs[parent][2] >= MAX_DEPTH:
                parent = self.dirs[parent][0]
            self.add_dir(parent, rng.choice(DIR_WORDS) + b" %05d" % len(self.dirs))

    def add_dir(self, parent, name):
        depth = self.dirs[parent][2] + 1
        top = len(self.dirs) if parent == 0 else self.dirs[parent][3]
        self.dirs.append((parent, name, depth, top))
        return len(self.dirs) - 1

    def random_dir(self):
        return self.rng.randrange(1, len(self.dirs))

    def far_dir(self, near):
        """A directory in another top-level subtree than `near`."""
        top = self.dirs[near][3]
        for _ in range(50):
            d = self.random_dir()
            if self.dirs[d][3] != top:
                return d
        return self.random_dir()

    # -- sizes -----------------------------------------------------------------------------------
    def ordinary_size(self):
        rng = self.rng
        size = int(rng.lognormvariate(math.log(self.args.median_kb * 1024), self.args.sigma))
        size = max(1, min(size, int(self.args.max_file_mb * 1048576)))
        if rng.random() < 0.33 and size > 4096:
            size -= size % 4096
        return size

    # -- names -----------------------------------------------------------------------------------
    def file_name(self, special=None):
        rng = self.rng
        self.name_counter += 1
        if special == "latin1":
            return b"IMG_\xe9t\xe9_%06d.jpg" % self.name_counter
        if special == "hidden":
            return b".hidden-%06d%s" % (self.name_counter, rng.choice(EXTENSIONS))
        return rng.choice(FILE_PREFIXES) + b"%07d" % self.name_counter + rng.choice(EXTENSIONS)

    def new_content(self, size, variant=None, role="unique", cid=None):
        index = len(self.contents)
        self.contents.append((index + 1 if cid is None else cid, size, variant))
        self.roles[index] = role
        return index

    def new_inode(self, content):
        self.inodes.append((content, 1262304000 + self.rng.randrange(0, 15 * 365 * 86400)))
        return len(self.inodes) - 1

    def add_name(self, directory, inode, special=None):
        self.names.append((directory, self.file_name(special), inode))

    # -- the whole plan --------------------------------------------------------------------------
    def make(self):
        rng, n = self.rng, self.args.files
        self.make_dirs()
        budget_names = n

        # Big files: a few of hundreds of MB, within a quarter of the byte cap.
        cap = self.total_cap()
        big_count = self.args.big_files or max(1, min(10, n // 25000))
        big_budget = cap // 4
        big_max = int(self.args.max_file_mb * 1048576)
        big_sizes = []
        for _ in range(big_count):
            size = min(big_max, rng.randrange(100 << 20, 400 << 20), big_budget // big_count)
            big_sizes.append(max(size, 1 << 20))
        first_big = None
        for i, size in enumerate(big_sizes):
            if i == 1 and first_big is not None:    # a far copy of the first big file
                c, d = first_big
                self.add_name(self.far_dir(d), self.new_inode(c))
            elif i == 2 and first_big is not None:  # same size as the first, differs in the middle
                c, d = first_big
                self.add_name(d, self.new_inode(
                    self.new_content(self.contents[c][1], ("mid", 1), "big-mid-variant", cid=self.contents[c][0])))
            else:
                d = self.random_dir()
                c = self.new_content(size, None, "big")
                self.add_name(d, self.new_inode(c))
                if first_big is None:
                    first_big = (c, d)
            budget_names -= 1

        # Duplicate classes: about a fifth of all names.
        dup_names = n // 5
        class_sizes = list(range(2, 21))
        weights = [1.0 / (k * k) for k in class_sizes]
        specials = ["latin1"] * max(2, n // 5000) + ["hidden"] * max(2, n // 5000)
        while dup_names > 0:
            k = min(rng.choices(class_sizes, weights)[0], max(2, dup_names))
            c = self.new_content(self.ordinary_size(), None, "duplicate")
            first_dir = self.random_dir()
            inodes = []
            for m in range(k):
                if m == 0:
                    d = first_dir
                elif rng.random() < FAR_PROBABILITY:
                    d = self.far_dir(first_dir)
                else:
                    d = first_dir
                if m >= 2 and rng.random() < HARDLINK_PROBABILITY:
                    inode = rng.choice(inodes)
                else:
                    inode = self.new_inode(c)
                    inodes.append(inode)
                special = specials.pop() if specials and m == k - 1 else None
                if special == "hidden" and rng.random() < 0.5:
                    d = self.hidden_dir
                self.add_name(d, inode, special)
            dup_names -= k
            budget_names -= k

        # Near misses: same size, same head; differ in the last byte or only in the middle.
        for f in range(max(4, n // 200)):
            mode = "last" if f % 2 == 0 else "mid"
            size = self.ordinary_size()
            if mode == "mid":
                size = max(size, 256 * 1024 + rng.randrange(0, 4096))
            else:
                size = max(size, 2)
            cid = len(self.contents) + 1
            d = self.random_dir()
            members = rng.randint(2, 4)
            for v in range(members):
                c = self.new_content(size, (mode, v) if v else None, mode + "-variant", cid=cid)
                self.add_name(d if rng.random() < 0.5 else self.random_dir(), self.new_inode(c))
                budget_names -= 1
                if v == 0 and rng.random() < 0.3:  # the base also has a true copy
                    self.roles[c] = "duplicate-with-near-miss"
                    self.add_name(self.far_dir(d), self.new_inode(c))
                    budget_names -= 1

        # Unique files with several names of one inode (hard links, not duplicates).
        for _ in range(max(3, n // 500)):
            inode = self.new_inode(self.new_content(self.ordinary_size(), None, "hardlinked-unique"))
            d = self.random_dir()
            for m in range(rng.randint(2, 3)):
                self.add_name(d if m == 0 or rng.random() < 0.5 else self.far_dir(d), inode)
                budget_names -= 1

        # Empty files: never duplicates for any tool configured as peers.sh does.
        for _ in range(max(2, n // 1000)):
            self.add_name(self.random_dir(), self.new_inode(self.new_content(0, None, "empty")))
            budget_names -= 1

        # Non-UTF-8 and hidden unique files, then ordinary unique files for the rest.
        for special in ["latin1"] * max(2, n // 5000) + ["hidden"] * max(2, n // 2000):
            d = self.hidden_dir if special == "hidden" and rng.random() < 0.5 else self.random_dir()
            self.add_name(d, self.new_inode(self.new_content(self.ordinary_size())), special)
            budget_names -= 1
        while budget_names > 0:
            self.add_name(self.random_dir(), self.new_inode(self.new_content(self.ordinary_size())))
            budget_names -= 1

        self.fit_sizes(cap)
        self.make_symlinks()

    def total_cap(self):
        if self.args.max_total_mb is not None:
            return int(self.args.max_total_mb * 1048576)
        return min(self.args.files * 48 * 1024, 10 << 30)

    def fit_sizes(self, cap):
        """Scales sizes down by one factor (a shift of the log-normal) until the total fits the cap.

        Middle-only variants keep at least 256 KiB and a near-miss family keeps one size, so the
        factor is refined a few times rather than computed once.
        """
        per_content = [0] * len(self.contents)
        for content, _ in self.inodes:
            per_content[content] += 1
        original = self.contents
        factor = 1.0
        for _ in range(30):
            self.contents = self.scaled(original, factor)
            self.total_bytes = sum(self.contents[c][1] * k for c, k in enumerate(per_content))
            if self.total_bytes <= cap:
                return
            factor *= cap / self.total_bytes * 0.999
        sys.exit(f"make-corpus.py: cannot fit {self.args.files} files into {cap} bytes; raise --max-total-mb")

    @staticmethod
    def scaled(contents, factor):
        result = []
        for cid, size, variant in contents:
            if size > 0 and factor < 1.0:
                floor = 256 * 1024 + 16 if variant and variant[0] == "mid" else 1
                rounded = size % 4096 == 0
                size = max(floor, int(size * factor))
                if rounded and size > 4096:
                    size -= size % 4096  # sizes rounded to 4 KiB stay rounded
            result.append((cid, size, variant))
        # Members of one near-miss family share a cid and must keep one size: the largest, so a
        # middle-only difference stays beyond any head and tail a tool might read.
        family_size = {}
        for cid, size, _ in result:
            family_size[cid] = max(size, family_size.get(cid, 0))
        return [(cid, family_size[cid] if size else 0, variant) for cid, size, variant in result]

    def make_symlinks(self):
        rng, n = self.rng, self.args.files
        for _ in range(max(3, n // 200)):
            self.symlinks.append((self.random_dir(), b"link-to-file-%06d" % len(self.symlinks), "file",
                                  rng.randrange(len(self.names))))
        for _ in range(max(2, n // 2000)):
            self.symlinks.append((self.random_dir(), b"link-to-dir-%06d" % len(self.symlinks), "dir",
                                  self.random_dir()))
        # The deepest directory of the guaranteed chain points back at its top-level ancestor.
        self.symlinks.append((self.deepest_dir, b"loop-to-ancestor", "dir", 1))
        self.symlinks.append((self.random_dir(), b"dangling", "none", 0))


class Writer:
    """Turns a plan into files. Contents are slices of one seeded random pool."""

    def __init__(self, plan, out, quiet):
        self.plan, self.out, self.quiet = plan, out.encode(), quiet
        pool = random.Random(plan.args.seed ^ 0x5EED).randbytes(POOL_SIZE)
        self.pool = memoryview(pool + pool[:CHUNK])
        self.dir_paths = []
        self.digests = {}

    def make_dirs(self):
        for index, (parent, name, _, _) in enumerate(self.plan.dirs):
            path = self.out if parent < 0 else self.dir_paths[parent] + b"/" + name
            os.makedirs(path, exist_ok=parent < 0)
            self.dir_paths.append(path)

    def chunks(self, content):
        """The content's bytes as a sequence of buffers, without building the whole file."""
        cid, size, variant = self.plan.contents[content]
        if size == 0:
            return
        stamp = cid.to_bytes(8, "little")
        offset = (cid * 2654435761) % POOL_SIZE
        patch = None
        if variant is not None:
            mode, k = variant
            position = size - 1 if mode == "last" else size // 2
            patch = (position, k)
        written = 0
        while written < size:
            length = min(CHUNK, size - written)
            start = (offset + written) % POOL_SIZE
            chunk = self.pool[start:start + length]
            if written == 0 or (patch and written <= patch[0] < written + length):
                chunk = bytearray(chunk)
                if written == 0:
                    chunk[:min(8, length)] = stamp[:min(8, length)]
                if patch and written <= patch[0] < written + length:
                    chunk[patch[0] - written] ^= patch[1]
            yield chunk
            written += length

    def write_inode(self, path, inode):
        content, mtime = self.plan.inodes[inode]
        digest = self.digests.get(content)
        hasher = hashlib.blake2b(digest_size=16) if digest is None else None
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            for chunk in self.chunks(content):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
                if hasher:
                    hasher.update(chunk)
        finally:
            os.close(fd)
        os.utime(path, (mtime, mtime))
        if hasher:
            self.digests[content] = hasher.hexdigest()

    def write(self):
        self.make_dirs()
        first_name = {}  # inode -> path of its first name
        started, total = time.monotonic(), len(self.plan.names)
        for i, (d, name, inode) in enumerate(self.plan.names):
            path = self.dir_paths[d] + b"/" + name
            if inode in first_name:
                os.link(first_name[inode], path)
            else:
                self.write_inode(path, inode)
                first_name[inode] = path
            if not self.quiet and (i + 1) % 5000 == 0:
                rate = (i + 1) / max(time.monotonic() - started, 1e-6)
                print(f"\r{i + 1}/{total} names, {rate:.0f}/s", end="", file=sys.stderr, flush=True)
        if not self.quiet:
            print(file=sys.stderr)
        self.name_paths = [self.dir_paths[d] + b"/" + name for d, name, _ in self.plan.names]
        for d, name, kind, target in self.plan.symlinks:
            where = self.dir_paths[d]
            if kind == "file":
                to = os.path.relpath(self.name_paths[target], where)
            elif kind == "dir":
                to = os.path.relpath(self.dir_paths[target], where)
            else:
                to = b"no-such-file"
            os.symlink(to, where + b"/" + name)


def path_entry(relative):
    try:
        return {"path": relative.decode("utf-8")}
    except UnicodeDecodeError:
        return {"pathBase64": base64.b64encode(relative).decode("ascii")}


def manifest(plan, writer, args, seconds):
    """Expected classes: names grouped by (size, digest of the bytes written), >= 2 inodes."""
    groups = {}
    for (d, name, inode), path in zip(plan.names, writer.name_paths):
        content = plan.inodes[inode][0]
        size = plan.contents[content][1]
        if size == 0:
            continue
        groups.setdefault((size, writer.digests[content]), []).append((path, inode, content))
    prefix = len(writer.out) + 1
    classes = []
    for (size, digest), members in groups.items():
        inodes = sorted({inode for _, inode, _ in members})
        if len(inodes) < 2:
            continue
        numbers = {inode: i for i, inode in enumerate(inodes)}
        members.sort(key=lambda m: m[0])
        files = []
        for path, inode, _ in members:
            entry = path_entry(path[prefix:])
            entry["inode"] = numbers[inode]
            files.append(entry)
        roles = sorted({plan.roles[c] for _, _, c in members})
        classes.append({"size": size, "digest": digest, "inodes": len(inodes), "roles": roles, "files": files})
    classes.sort(key=lambda c: (-c["size"], c["digest"]))
    symlink_count = len(plan.symlinks)
    hardlink_names = len(plan.names) - len(plan.inodes)
    return {
        "generator": "make-corpus.py",
        "version": GENERATOR_VERSION,
        "seed": args.seed,
        "options": {"files": args.files, "maxFileMB": args.max_file_mb, "maxTotalMB": args.max_total_mb,
                    "medianKB": args.median_kb, "sigma": args.sigma,
                    **({"bigFiles": args.big_files} if args.big_files is not None else {})},
        "root": args.out,
        "counts": {
            "names": len(plan.names),
            "inodes": len(plan.inodes),
            "extraHardLinkNames": hardlink_names,
            "directories": len(plan.dirs),
            "maxDepth": max(depth for _, _, depth, _ in plan.dirs),
            "symlinks": symlink_count,
            "emptyFiles": sum(1 for c, _ in plan.inodes if plan.contents[c][1] == 0),
            "bytes": plan.total_bytes,
            "classes": len(classes),
            "classInodes": sum(c["inodes"] for c in classes),
            "duplicateBytes": sum(c["size"] * (c["inodes"] - 1) for c in classes),
        },
        "generationSeconds": round(seconds, 2),
        "classes": classes,
    }


def main(argv):
    args = parse_args(argv)
    if os.path.lexists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
        sys.exit(f"make-corpus.py: {args.out} exists and is not an empty directory; remove it first")
    if os.path.exists(args.manifest):
        os.unlink(args.manifest)  # a stale manifest must never describe a new tree
    started = time.monotonic()
    plan = Plan(args)
    plan.make()
    writer = Writer(plan, args.out, args.quiet)
    writer.write()
    seconds = time.monotonic() - started
    result = manifest(plan, writer, args, seconds)
    temporary = args.manifest + ".tmp"
    with open(temporary, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    os.replace(temporary, args.manifest)
    counts = result["counts"]
    if not args.quiet:
        print(f"{args.out}: {counts['names']} names, {counts['inodes']} inodes, {counts['directories']} dirs "
              f"(depth {counts['maxDepth']}), {counts['symlinks']} symlinks, {counts['bytes'] / 1e9:.2f} GB, "
              f"{counts['classes']} duplicate classes, {seconds:.1f} s; manifest {args.manifest}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
