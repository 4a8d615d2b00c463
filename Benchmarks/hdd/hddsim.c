/*
 * hddsim: a FUSE file system holding one file, a disk image, served at the speed of a 7200 rpm disk.
 *
 * usage: hddsim [--queue fifo|ncq] [--depth N] [--model on|off] [--capacity BYTES]
 *               [--seek-min-ms MS] [--seek-full-ms MS] [--rotation-ms MS] [--mb-per-s MBPS]
 *               [--aging-ms MS] [--early-us US] [--max-background N] [--stats-file PATH]
 *               IMAGE MOUNTPOINT
 * build:  cc -O2 -Wall -o hddsim hddsim.c $(pkg-config --cflags --libs fuse3) -lm -lpthread
 *
 * MOUNTPOINT/disk.img is IMAGE (a regular file, e.g. a sparse ext4 image on /var/tmp): attach it
 * with `losetup --direct-io=on` and mount the loop device. Every read and write of disk.img goes
 * through one modelled disk that serves one request at a time and replies when the modelled time
 * has passed (the bytes themselves come from IMAGE, usually from its page cache):
 *
 *   - a request that starts where the previous one ended: transfer time only, size / --mb-per-s
 *     (160 MB/s, 10^6 bytes);
 *   - any other: a seek of --seek-min-ms + (--seek-full-ms - --seek-min-ms) x sqrt(distance /
 *     capacity) (1 ms + 7.5 ms x sqrt(d / C): 8.5 ms full stroke), plus --rotation-ms of rotational
 *     latency (4.17 ms, half a turn at 7200 rpm), plus the transfer time.
 *
 * Which pending request is served next:
 *   fifo  arrival order (a disk without a command queue, or with NCQ off);
 *   ncq   among the --depth oldest pending requests (32, SATA NCQ), the one with the shortest
 *         positioning time: one continuing where the last ended first, then the nearest; one that
 *         waited longer than --aging-ms (500) is served next whatever its distance.
 *
 * The disk has its own clock: a request starts when the disk finished the previous one or when it
 * arrived, whichever is later, so the daemon's own overhead hides inside the modelled time instead
 * of adding to it. The reply is sent --early-us (default 0) before the modelled end; sleeps aim
 * early by the running mean of how late the thread wakes up.
 *
 * Threads: libfuse's single-threaded loop receives requests; a read or write of disk.img is queued
 * and answered later by the scheduler thread (libfuse allows replies from any thread), so the
 * kernel can have many requests outstanding (FUSE asynchronous direct I/O, up to max_background,
 * which init raises from 12 to --max-background, 64). With the model off (while filling the
 * image) requests are served at once by the receiving thread.
 *
 * MOUNTPOINT/control: reading it returns the counters as one JSON object (requests, reads, writes,
 * seeks, bytes_read, bytes_written, busy_s (modelled), late_s, the queue depth seen when each
 * request was picked: depth_max, depth_mean, depth_hist, and the settings). Writing a line to it:
 *   model on | model off      sleep the modelled time, or serve at memory speed
 *   queue fifo | queue ncq    the scheduling policy
 *   depth N                   the command queue depth for ncq
 *   reset                     zero the counters (the head position stays)
 * SIGUSR1 writes the same JSON to --stats-file (default IMAGE.stats.json).
 * Stops when unmounted (fusermount3 -u MOUNTPOINT) or on SIGINT/SIGTERM.
 */
#define FUSE_USE_VERSION 34
#define _GNU_SOURCE
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define IMAGE_INO 2
#define CONTROL_INO 3
#define CONTROL_SIZE 65536
#define HIST_MAX 256

struct request {
    fuse_req_t req;
    int write;
    off_t offset;
    size_t size;
    char *data;  /* write: a copy of the bytes */
    double arrival;
};

static struct {
    int fd;
    char *image;
    char *stats_file;
    off_t capacity;
    int model, ncq, depth, max_background;
    double seek_min, seek_span, rotation, bytes_per_s, aging, early;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct request **pending;
    size_t npending, cap_pending;

    off_t head;
    double free_at, lag;

    /* counters */
    unsigned long long requests, reads, writes, seeks, bytes_read, bytes_written, unmodelled;
    double busy, late, since;
    unsigned long long hist[HIST_MAX + 1];

    /* what init negotiated */
    int async_dio;
    unsigned conn_max_background, conn_max_write, conn_max_read;
} d;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t) {
    struct timespec ts = {.tv_sec = (time_t)t, .tv_nsec = (long)((t - (time_t)t) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void reset_counters(void) {
    d.requests = d.reads = d.writes = d.seeks = d.bytes_read = d.bytes_written = d.unmodelled = 0;
    d.busy = d.late = 0;
    memset(d.hist, 0, sizeof d.hist);
    d.since = wall();
}

static double positioning(const struct request *r) {
    if (r->offset == d.head)
        return 0;
    double distance = (double)llabs((long long)(r->offset - d.head));
    double fraction = distance / (double)d.capacity;
    if (fraction > 1)
        fraction = 1;
    return d.seek_min + d.seek_span * sqrt(fraction) + d.rotation;
}

/* The request's I/O on the image, without the lock: bytes read or written, or -errno. */
static ssize_t do_io(struct request *r, char **buf) {
    *buf = NULL;
    if (r->write) {
        ssize_t n = pwrite(d.fd, r->data, r->size, r->offset);
        return n < 0 ? -errno : n;
    }
    *buf = malloc(r->size ? r->size : 1);
    if (!*buf)
        return -ENOMEM;
    size_t done = 0;
    while (done < r->size) {
        ssize_t n = pread(d.fd, *buf + done, r->size - done, r->offset + done);
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        done += n;
    }
    return done;
}

static void count_io(const struct request *r, ssize_t n) {
    pthread_mutex_lock(&d.lock);
    if (r->write) {
        d.writes++;
        if (n > 0)
            d.bytes_written += n;
    } else {
        d.reads++;
        if (n > 0)
            d.bytes_read += n;
    }
    pthread_mutex_unlock(&d.lock);
}

static void reply(struct request *r, ssize_t n, char *buf) {
    if (n < 0)
        fuse_reply_err(r->req, (int)-n);
    else if (r->write)
        fuse_reply_write(r->req, n);
    else
        fuse_reply_buf(r->req, buf, n);
    free(buf);
    free(r->data);
    free(r);
}

static size_t pick(double t) {
    if (!d.ncq || d.npending == 1)
        return 0;
    if (t - d.pending[0]->arrival > d.aging)
        return 0;
    size_t best = 0, limit = d.npending < (size_t)d.depth ? d.npending : (size_t)d.depth;
    double best_cost = -1;
    for (size_t i = 0; i < limit; i++) {
        double cost = positioning(d.pending[i]);
        if (best_cost < 0 || cost < best_cost) {
            best = i;
            best_cost = cost;
            if (cost == 0)
                break;
        }
    }
    return best;
}

static void *scheduler(void *arg) {
    (void)arg;
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    for (;;) {
        pthread_mutex_lock(&d.lock);
        while (d.npending == 0)
            pthread_cond_wait(&d.cond, &d.lock);
        double t = now();
        size_t n = d.npending;
        d.hist[n > HIST_MAX ? HIST_MAX : n]++;
        size_t i = pick(t);
        struct request *r = d.pending[i];
        memmove(&d.pending[i], &d.pending[i + 1], (d.npending - i - 1) * sizeof *d.pending);
        d.npending--;
        double pos = positioning(r);
        double service = pos + r->size / d.bytes_per_s;
        d.requests++;
        if (pos > 0)
            d.seeks++;
        d.busy += service;
        double start = d.free_at > r->arrival ? d.free_at : r->arrival;
        double end = start + service;
        d.free_at = end;
        d.head = r->offset + r->size;
        int model = d.model;
        double lag = d.lag;
        pthread_mutex_unlock(&d.lock);

        char *buf;
        ssize_t got = do_io(r, &buf);
        count_io(r, got);
        if (model) {
            double target = end - d.early;
            if (target - lag > now()) {
                sleep_until(target - lag);
                double woke = now();
                /* Running mean of the wake-up latency, so that sleeps aim that much earlier. */
                double sample = woke - (target - lag);
                lag = 0.9 * lag + 0.1 * sample;
                if (lag < 0)
                    lag = 0;
                if (lag > 0.001)
                    lag = 0.001;
            }
            double late = now() - target;
            pthread_mutex_lock(&d.lock);
            d.lag = lag;
            if (late > 0)
                d.late += late;
            pthread_mutex_unlock(&d.lock);
        }
        reply(r, got, buf);
    }
    return NULL;
}

static void submit(fuse_req_t req, int write, off_t offset, size_t size, const char *data) {
    struct request *r = calloc(1, sizeof *r);
    if (!r) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    r->req = req;
    r->write = write;
    r->offset = offset;
    r->size = size;
    r->arrival = now();
    if (write) {
        r->data = malloc(size ? size : 1);
        if (!r->data) {
            free(r);
            fuse_reply_err(req, ENOMEM);
            return;
        }
        memcpy(r->data, data, size);
    }
    pthread_mutex_lock(&d.lock);
    if (!d.model) {
        /* Memory speed: served here, now; the head still moves. */
        d.requests++;
        d.unmodelled++;
        d.head = offset + size;
        pthread_mutex_unlock(&d.lock);
        char *buf;
        ssize_t got = do_io(r, &buf);
        count_io(r, got);
        reply(r, got, buf);
        return;
    }
    if (d.npending == d.cap_pending) {
        d.cap_pending = d.cap_pending ? 2 * d.cap_pending : 256;
        d.pending = realloc(d.pending, d.cap_pending * sizeof *d.pending);
    }
    d.pending[d.npending++] = r;
    pthread_cond_signal(&d.cond);
    pthread_mutex_unlock(&d.lock);
}

/* -- the counters as JSON ------------------------------------------------------------------- */

struct text {
    char *s;
    size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && t->len + n < t->cap) {
            t->len += n;
            return;
        }
        t->cap = t->cap ? 2 * t->cap + n : 4096;
        t->s = realloc(t->s, t->cap);
    }
}

static char *stats_json(size_t *len) {
    struct text t = {0};
    pthread_mutex_lock(&d.lock);
    unsigned long long total = 0, weighted = 0;
    int max = 0;
    for (int i = 0; i <= HIST_MAX; i++) {
        total += d.hist[i];
        weighted += (unsigned long long)i * d.hist[i];
        if (d.hist[i])
            max = i;
    }
    add(&t, "{\"requests\": %llu, \"reads\": %llu, \"writes\": %llu, \"seeks\": %llu, ", d.requests, d.reads,
        d.writes, d.seeks);
    add(&t, "\"bytes_read\": %llu, \"bytes_written\": %llu, \"busy_s\": %.6f, \"late_s\": %.6f, ", d.bytes_read,
        d.bytes_written, d.busy, d.late);
    add(&t, "\"wake_lag_us\": %.1f, \"unmodelled_requests\": %llu, ", d.lag * 1e6, d.unmodelled);
    add(&t, "\"depth_max\": %d, \"depth_mean\": %.3f, \"depth_hist\": {", max,
        total ? (double)weighted / total : 0.0);
    int first = 1;
    for (int i = 0; i <= HIST_MAX; i++)
        if (d.hist[i]) {
            add(&t, "%s\"%d\": %llu", first ? "" : ", ", i, d.hist[i]);
            first = 0;
        }
    add(&t, "}, \"model\": \"%s\", \"queue\": \"%s\", \"ncq_depth\": %d, \"capacity\": %lld, ", d.model ? "on" : "off",
        d.ncq ? "ncq" : "fifo", d.depth, (long long)d.capacity);
    add(&t, "\"async_dio\": %d, \"max_background\": %u, \"max_write\": %u, \"max_read\": %u, ", d.async_dio,
        d.conn_max_background, d.conn_max_write, d.conn_max_read);
    add(&t, "\"since\": %.6f, \"now\": %.6f}\n", d.since, wall());
    pthread_mutex_unlock(&d.lock);
    *len = t.len;
    return t.s;
}

static int command(const char *line) {
    char word[32], arg[32];
    int n = sscanf(line, "%31s %31s", word, arg);
    if (n <= 0)
        return 0;
    int ok = 1;
    pthread_mutex_lock(&d.lock);
    if (n == 2 && !strcmp(word, "model") && (!strcmp(arg, "on") || !strcmp(arg, "off")))
        d.model = !strcmp(arg, "on");
    else if (n == 2 && !strcmp(word, "queue") && (!strcmp(arg, "fifo") || !strcmp(arg, "ncq")))
        d.ncq = !strcmp(arg, "ncq");
    else if (n == 2 && !strcmp(word, "depth") && atoi(arg) > 0)
        d.depth = atoi(arg);
    else if (n == 1 && !strcmp(word, "reset"))
        reset_counters();
    else
        ok = 0;
    pthread_mutex_unlock(&d.lock);
    return ok;
}

/* -- FUSE operations ------------------------------------------------------------------------- */

static int attrs(fuse_ino_t ino, struct stat *st) {
    struct stat image;
    memset(st, 0, sizeof *st);
    if (fstat(d.fd, &image) < 0)
        return errno;
    st->st_ino = ino;
    st->st_uid = image.st_uid;
    st->st_gid = image.st_gid;
    st->st_atim = st->st_mtim = st->st_ctim = image.st_mtim;
    st->st_blksize = 4096;
    switch (ino) {
    case FUSE_ROOT_ID:
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        break;
    case IMAGE_INO:
        st->st_mode = S_IFREG | 0600;
        st->st_nlink = 1;
        st->st_size = image.st_size;
        break;
    case CONTROL_INO:
        st->st_mode = S_IFREG | 0600;
        st->st_nlink = 1;
        st->st_size = CONTROL_SIZE;
        break;
    default:
        return ENOENT;
    }
    st->st_blocks = (st->st_size + 511) / 512;
    return 0;
}

static void op_init(void *userdata, struct fuse_conn_info *conn) {
    (void)userdata;
    if (conn->capable & FUSE_CAP_ASYNC_DIO)
        conn->want |= FUSE_CAP_ASYNC_DIO;
    conn->max_background = d.max_background;
    conn->congestion_threshold = d.max_background * 3 / 4;
    d.async_dio = !!(conn->want & FUSE_CAP_ASYNC_DIO);
    d.conn_max_background = conn->max_background;
    d.conn_max_write = conn->max_write;
    d.conn_max_read = conn->max_read;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    fuse_ino_t ino = 0;
    if (parent == FUSE_ROOT_ID && !strcmp(name, "disk.img"))
        ino = IMAGE_INO;
    else if (parent == FUSE_ROOT_ID && !strcmp(name, "control"))
        ino = CONTROL_INO;
    if (!ino) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    e.ino = ino;
    e.attr_timeout = e.entry_timeout = 1.0;
    int err = attrs(ino, &e.attr);
    if (err)
        fuse_reply_err(req, err);
    else
        fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)fi;
    struct stat st;
    int err = attrs(ino, &st);
    if (err)
        fuse_reply_err(req, err);
    else
        fuse_reply_attr(req, &st, 1.0);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
    (void)fi;
    if (ino == IMAGE_INO && (to_set & FUSE_SET_ATTR_SIZE) && ftruncate(d.fd, attr->st_size) < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    op_getattr(req, ino, NULL);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)fi;
    if (ino != FUSE_ROOT_ID) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    const char *names[] = {".", "..", "control", "disk.img"};
    fuse_ino_t inos[] = {FUSE_ROOT_ID, FUSE_ROOT_ID, CONTROL_INO, IMAGE_INO};
    char buf[1024];
    size_t used = 0;
    for (off_t i = off; i < 4; i++) {
        struct stat st;
        attrs(inos[i], &st);
        size_t need = fuse_add_direntry(req, buf + used, sizeof buf - used, names[i], &st, i + 1);
        if (used + need > size || used + need > sizeof buf)
            break;
        used += need;
    }
    fuse_reply_buf(req, buf, used);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    if (ino != IMAGE_INO && ino != CONTROL_INO) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    fi->direct_io = 1;
    fi->keep_cache = 0;
    fi->fh = 0;
    fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    if (ino == IMAGE_INO) {
        submit(req, 0, off, size, NULL);
        return;
    }
    /* control: a snapshot taken at offset 0 and kept for the rest of this open file */
    char *snapshot = (char *)(uintptr_t)fi->fh;
    size_t len;
    if (off == 0 || !snapshot) {
        free(snapshot);
        snapshot = stats_json(&len);
        fi->fh = (uint64_t)(uintptr_t)snapshot;
    }
    len = strlen(snapshot);
    if ((size_t)off >= len)
        fuse_reply_buf(req, NULL, 0);
    else
        fuse_reply_buf(req, snapshot + off, (size_t)off + size > len ? len - off : size);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi) {
    (void)fi;
    if (ino == IMAGE_INO) {
        submit(req, 1, off, size, buf);
        return;
    }
    char line[256];
    size_t start = 0;
    while (start < size) {
        size_t end = start;
        while (end < size && buf[end] != '\n')
            end++;
        size_t n = end - start < sizeof line - 1 ? end - start : sizeof line - 1;
        memcpy(line, buf + start, n);
        line[n] = 0;
        if (!command(line)) {
            fuse_reply_err(req, EINVAL);
            return;
        }
        start = end + 1;
    }
    fuse_reply_write(req, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    if (ino == CONTROL_INO)
        free((char *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)ino;
    (void)fi;
    fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
    /* The image's durability does not matter to a benchmark; the host writes it back in time. */
    (void)ino;
    (void)datasync;
    (void)fi;
    fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino) {
    (void)ino;
    struct statvfs s;
    memset(&s, 0, sizeof s);
    s.f_bsize = s.f_frsize = 4096;
    s.f_blocks = d.capacity / 4096;
    s.f_files = 3;
    s.f_namemax = 255;
    fuse_reply_statfs(req, &s);
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readdir = op_readdir,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .statfs = op_statfs,
};

/* -- SIGUSR1: write the counters to --stats-file -------------------------------------------- */

static void *signal_thread(void *arg) {
    sigset_t *set = arg;
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0 || sig != SIGUSR1)
            continue;
        size_t len;
        char *json = stats_json(&len);
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", d.stats_file);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fwrite(json, 1, len, f);
            if (fclose(f) == 0)
                rename(tmp, d.stats_file);
        }
        free(json);
    }
    return NULL;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: hddsim [--queue fifo|ncq] [--depth N] [--model on|off] [--capacity BYTES]\n"
            "              [--seek-min-ms MS] [--seek-full-ms MS] [--rotation-ms MS] [--mb-per-s MBPS]\n"
            "              [--aging-ms MS] [--early-us US] [--max-background N] [--stats-file PATH]\n"
            "              IMAGE MOUNTPOINT\n"
            "Serves IMAGE as MOUNTPOINT/disk.img at the speed of a modelled 7200 rpm disk;\n"
            "MOUNTPOINT/control reads the counters as JSON and takes commands (see the source).\n");
}

int main(int argc, char **argv) {
    double seek_min_ms = 1.0, seek_full_ms = 8.5, rotation_ms = 4.17, mb_per_s = 160, aging_ms = 500, early_us = 0;
    long long capacity = 0;
    d.model = 1;
    d.ncq = 1;
    d.depth = 32;
    d.max_background = 64;
    static const struct option options[] = {
        {"queue", required_argument, 0, 'q'},       {"depth", required_argument, 0, 'd'},
        {"model", required_argument, 0, 'm'},       {"capacity", required_argument, 0, 'c'},
        {"seek-min-ms", required_argument, 0, 's'}, {"seek-full-ms", required_argument, 0, 'S'},
        {"rotation-ms", required_argument, 0, 'r'}, {"mb-per-s", required_argument, 0, 't'},
        {"aging-ms", required_argument, 0, 'a'},    {"early-us", required_argument, 0, 'e'},
        {"max-background", required_argument, 0, 'b'}, {"stats-file", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'q':
            if (strcmp(optarg, "fifo") && strcmp(optarg, "ncq")) {
                usage(stderr);
                return 2;
            }
            d.ncq = !strcmp(optarg, "ncq");
            break;
        case 'd': d.depth = atoi(optarg); break;
        case 'm':
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                usage(stderr);
                return 2;
            }
            d.model = !strcmp(optarg, "on");
            break;
        case 'c': capacity = atoll(optarg); break;
        case 's': seek_min_ms = atof(optarg); break;
        case 'S': seek_full_ms = atof(optarg); break;
        case 'r': rotation_ms = atof(optarg); break;
        case 't': mb_per_s = atof(optarg); break;
        case 'a': aging_ms = atof(optarg); break;
        case 'e': early_us = atof(optarg); break;
        case 'b': d.max_background = atoi(optarg); break;
        case 'f': d.stats_file = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 2 || d.depth < 1 || mb_per_s <= 0 || d.max_background < 1) {
        usage(stderr);
        return 2;
    }
    d.image = argv[optind];
    const char *mountpoint = argv[optind + 1];
    d.fd = open(d.image, O_RDWR);
    if (d.fd < 0) {
        perror(d.image);
        return 1;
    }
    struct stat st;
    fstat(d.fd, &st);
    d.capacity = capacity > 0 ? capacity : st.st_size;
    if (d.capacity <= 0) {
        fprintf(stderr, "hddsim: %s is empty\n", d.image);
        return 1;
    }
    if (!d.stats_file) {
        static char path[4096];
        snprintf(path, sizeof path, "%s.stats.json", d.image);
        d.stats_file = path;
    }
    d.seek_min = seek_min_ms / 1000;
    d.seek_span = (seek_full_ms - seek_min_ms) / 1000;
    d.rotation = rotation_ms / 1000;
    d.bytes_per_s = mb_per_s * 1e6;
    d.aging = aging_ms / 1000;
    d.early = early_us / 1e6;
    d.lag = 0.00005;
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cond, NULL);
    reset_counters();

    /* SIGUSR1 is taken by its own thread; block it everywhere else. */
    static sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    pthread_t sched, sig;
    pthread_create(&sig, NULL, signal_thread, &usr1);
    pthread_create(&sched, NULL, scheduler, NULL);

    char *fargv[] = {argv[0], "-o", "fsname=hddsim,subtype=hddsim", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (!se)
        return 1;
    if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, mountpoint) != 0) {
        fuse_session_destroy(se);
        return 1;
    }
    int ret = fuse_session_loop(se);
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    close(d.fd);
    return ret ? 1 : 0;
}
