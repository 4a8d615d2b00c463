#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <linux/fs.h>
#include <linux/fiemap.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>

int dl_statx(int dirfd, const char *path, int flags, dl_statx_result *out) {
    struct statx sx;
    memset(&sx, 0, sizeof sx);
    if (statx(dirfd, path, flags, STATX_BASIC_STATS | STATX_MNT_ID, &sx) != 0) {
        return -1;
    }
    out->inode = sx.stx_ino;
    out->mount_id = sx.stx_mnt_id;
    out->dev_major = sx.stx_dev_major;
    out->dev_minor = sx.stx_dev_minor;
    out->size = sx.stx_size;
    out->mask = sx.stx_mask;
    return 0;
}

int dl_at_empty_path(void) { return AT_EMPTY_PATH; }

int dl_filesystem_type(int fd, uint64_t *type) {
    struct statfs info;
    if (fstatfs(fd, &info) != 0) {
        return -1;
    }
    /* f_type is a signed word; the magic numbers are 32-bit. */
    *type = (uint64_t)(uint32_t)info.f_type;
    return 0;
}

int dl_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}

unsigned int dl_rename_noreplace(void) { return RENAME_NOREPLACE; }

int dl_open_no_symlinks(int dirfd, const char *path, int flags) {
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_NO_SYMLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int dl_take_read_lease(int fd) {
    static int sigio_ignored = 0;
    if (!__atomic_exchange_n(&sigio_ignored, 1, __ATOMIC_SEQ_CST)) {
        signal(SIGIO, SIG_IGN);
    }
    return fcntl(fd, F_SETLEASE, F_RDLCK);
}

int dl_o_noatime(void) { return O_NOATIME; }

int dl_seek_data(void) { return SEEK_DATA; }

int dl_seek_hole(void) { return SEEK_HOLE; }

static volatile sig_atomic_t cancel_signal = 0;

static void on_cancel(int sig) {
    if (cancel_signal != 0) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cancel_signal = sig;
}

/// Installs `handler` for `sig`, restarting interrupted system calls.
static void install_handler(int sig, void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(sig, &sa, NULL);
}

void dl_install_cancel_handlers(void) {
    install_handler(SIGINT, on_cancel);
    install_handler(SIGTERM, on_cancel);
}

int dl_cancel_signal(void) { return cancel_signal; }

void dl_request_cancel(int sig) { cancel_signal = sig; }

void dl_reset_cancel(void) { cancel_signal = 0; }

int dl_set_inode_flags(int fd, uint32_t flags) {
    int value = (int)flags;
    return ioctl(fd, FS_IOC_SETFLAGS, &value);
}

int dl_get_inode_flags(int fd, uint32_t *flags) {
    // The kernel reads and writes an int, whatever the ioctl's declared type says.
    int value = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &value) != 0) {
        return -1;
    }
    *flags = (uint32_t)value;
    return 0;
}

int dl_dedupe_range(int src_fd, uint64_t src_offset, uint64_t length, int dest_fd, uint64_t dest_offset,
                    uint64_t *deduped, int32_t *status) {
    // One destination: the header and its single info record, laid out as the kernel expects.
    _Alignas(struct file_dedupe_range) unsigned char buffer[
        sizeof(struct file_dedupe_range) + sizeof(struct file_dedupe_range_info)];
    memset(buffer, 0, sizeof buffer);
    struct file_dedupe_range *range = (struct file_dedupe_range *)buffer;
    range->src_offset = src_offset;
    range->src_length = length;
    range->dest_count = 1;
    range->info[0].dest_fd = dest_fd;
    range->info[0].dest_offset = dest_offset;
    if (ioctl(src_fd, FIDEDUPERANGE, range) != 0) {
        return -1;
    }
    *deduped = range->info[0].bytes_deduped;
    *status = range->info[0].status;
    return 0;
}

int32_t dl_dedupe_range_differs(void) { return FILE_DEDUPE_RANGE_DIFFERS; }

int dl_fiemap(int fd, uint64_t start, uint64_t length, dl_extent *out, uint32_t capacity, uint32_t *count) {
    size_t size = sizeof(struct fiemap) + (size_t)capacity * sizeof(struct fiemap_extent);
    struct fiemap *map = calloc(1, size);
    if (map == NULL) {
        errno = ENOMEM;
        return -1;
    }
    map->fm_start = start;
    map->fm_length = length;
    map->fm_flags = 0;
    map->fm_extent_count = capacity;
    if (ioctl(fd, FS_IOC_FIEMAP, map) != 0) {
        int saved = errno;
        free(map);
        errno = saved;
        return -1;
    }
    uint32_t mapped = map->fm_mapped_extents < capacity ? map->fm_mapped_extents : capacity;
    for (uint32_t i = 0; i < mapped; i++) {
        out[i].logical = map->fm_extents[i].fe_logical;
        out[i].physical = map->fm_extents[i].fe_physical;
        out[i].length = map->fm_extents[i].fe_length;
        out[i].flags = map->fm_extents[i].fe_flags;
    }
    *count = mapped;
    free(map);
    return 0;
}

int dl_syncfs(int fd) { return syncfs(fd); }

#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

int dl_cached_pages(int fd, uint64_t offset, uint64_t length, uint64_t *cached) {
    // struct cachestat_range and struct cachestat from <linux/mman.h>, which older headers lack.
    struct { uint64_t off; uint64_t len; } range = { offset, length };
    struct { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; } stat;
    if (syscall(__NR_cachestat, fd, &range, &stat, 0) != 0) {
        return -1;
    }
    *cached = stat.nr_cache;
    return 0;
}

static volatile sig_atomic_t progress_requested = 0;

static void on_progress(int sig) {
    (void)sig;
    progress_requested = 1;
}

void dl_install_progress_handler(void) { install_handler(SIGUSR1, on_progress); }

int dl_take_progress_request(void) {
    if (!progress_requested) {
        return 0;
    }
    progress_requested = 0;
    return 1;
}
