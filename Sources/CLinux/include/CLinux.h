#ifndef DUPELINK_CLINUX_H
#define DUPELINK_CLINUX_H

#include <stdint.h>
#include <sys/xattr.h>

/// What `statx` reports that `stat` does not: the mount id and the device split into major and minor.
typedef struct dl_statx_result {
    uint64_t inode;
    uint64_t mount_id;
    uint32_t dev_major;
    uint32_t dev_minor;
    uint64_t size;
    uint32_t mask;
} dl_statx_result;

/// `statx(dirfd, path, flags, STATX_BASIC_STATS | STATX_MNT_ID)`; returns 0 or -1 with errno set.
int dl_statx(int dirfd, const char *path, int flags, dl_statx_result *out);

/// The value of `AT_EMPTY_PATH`: `dl_statx(fd, "", AT_EMPTY_PATH, ...)` asks about `fd` itself.
int dl_at_empty_path(void);

/// `fstatfs(fd, ...)`: stores the filesystem's type (`f_type`, a magic number such as overlayfs's
/// 0x794c7630) in `type`; returns 0 or -1 with errno set.
int dl_filesystem_type(int fd, uint64_t *type);

/// `renameat2`; returns 0 or -1 with errno set.
int dl_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// The value of `RENAME_NOREPLACE`.
unsigned int dl_rename_noreplace(void);

/// `openat2(dirfd, path, {flags | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS})`: opens `path` relative to
/// `dirfd` without following a symbolic link in any component, the last included. Returns the
/// descriptor, or -1 with errno set (`ELOOP` for a symbolic link on the way, `ENOSYS` where the
/// kernel is older than 5.6 or a filter refuses the call).
int dl_open_no_symlinks(int dirfd, const char *path, int flags);

/// `fcntl(fd, F_SETLEASE, F_RDLCK)` on a descriptor opened read-only: granted only while no
/// process has the file open for writing (else -1 with `EAGAIN`). The first call sets `SIGIO`,
/// which announces a lease break and would end the process, to be ignored: the opener that
/// breaks the lease simply waits until the descriptor is closed.
int dl_take_read_lease(int fd);

/// The value of `O_NOATIME`: reading a file as its owner (or root) then leaves its atime alone.
int dl_o_noatime(void);

/// The value of `SEEK_DATA`: `lseek` to the next offset at or after the one given that holds data.
int dl_seek_data(void);

/// The value of `SEEK_HOLE`: `lseek` to the next hole at or after the offset given (the end of
/// the file counts as one).
int dl_seek_hole(void);

/// Installs SIGINT and SIGTERM handlers that only record the signal. A second signal of either kind
/// restores the default action, so a user can still force an exit.
void dl_install_cancel_handlers(void);

/// The signal that asked the program to stop, or 0.
int dl_cancel_signal(void);

/// Records a cancellation request as if `signal` had arrived (tests use it).
void dl_request_cancel(int signal);

/// Forgets any recorded cancellation.
void dl_reset_cancel(void);

/// `ioctl(fd, FS_IOC_GETFLAGS, &flags)`: the inode flags `chattr` shows (immutable, append-only,
/// nodump, ...). Returns 0, or -1 with errno set (`ENOTTY` or `EOPNOTSUPP` where the filesystem
/// keeps no such flags).
int dl_get_inode_flags(int fd, uint32_t *flags);

/// `ioctl(fd, FS_IOC_SETFLAGS, &flags)`. Returns 0, or -1 with errno set.
int dl_set_inode_flags(int fd, uint32_t flags);

/// `ioctl(src_fd, FIDEDUPERANGE, ...)` with one destination: asks the kernel to make `length`
/// bytes of `dest_fd` from `dest_offset` share the extents of `src_fd` from `src_offset`, which it
/// does only where the bytes are equal, compared under its own locks. Returns 0 with `*status`
/// set to `FILE_DEDUPE_RANGE_SAME` (0), `FILE_DEDUPE_RANGE_DIFFERS` (1) or a negative errno for
/// this destination, and `*deduped` to the bytes now shared (possibly fewer than asked); or -1
/// with errno set when the call itself failed (`ENOTTY`, `EOPNOTSUPP`, `EINVAL` where the
/// filesystem cannot share extents).
int dl_dedupe_range(int src_fd, uint64_t src_offset, uint64_t length, int dest_fd, uint64_t dest_offset,
                    uint64_t *deduped, int32_t *status);

/// The value of `FILE_DEDUPE_RANGE_DIFFERS`.
int32_t dl_dedupe_range_differs(void);

/// One extent as `FS_IOC_FIEMAP` reports it (`struct fiemap_extent`, without its padding).
typedef struct dl_extent {
    uint64_t logical;
    uint64_t physical;
    uint64_t length;
    uint32_t flags;
} dl_extent;

/// `ioctl(fd, FS_IOC_FIEMAP, ...)` without `FIEMAP_FLAG_SYNC` (delayed allocations are reported
/// as such, not written out): maps the file's extents that overlap the `length` bytes from
/// `start`, at most `capacity` of them, into `out`, and stores how many in `*count`. Returns 0, or
/// -1 with errno set (`EOPNOTSUPP` or `ENOTTY` where the filesystem cannot map extents).
int dl_fiemap(int fd, uint64_t start, uint64_t length, dl_extent *out, uint32_t capacity, uint32_t *count);

/// `syncfs(fd)`: commits the filesystem of `fd`, so that its free-space count is current (btrfs
/// releases shared extents' old blocks at its transaction commit). Returns 0 or -1 with errno set.
int dl_syncfs(int fd);

/// `cachestat(fd, {offset, length}, ...)` (Linux 6.5): stores in `cached` how many pages of the
/// range are in the page cache; returns 0 or -1 with errno set (ENOSYS before Linux 6.5).
int dl_cached_pages(int fd, uint64_t offset, uint64_t length, uint64_t *cached);

/// Installs a SIGUSR1 handler that notes a request for one progress line (as `dd` prints one).
void dl_install_progress_handler(void);

/// Whether SIGUSR1 arrived since the last call (and forgets it).
int dl_take_progress_request(void);

#endif
