/* The tikz driver's fork servers: one shared library, preloaded into a warm pdflatex and into a
 * warm pdftoppm. The server reads requests from a pipe, one a line, tab-separated:
 *   <job dir> <cpu seconds> <address-space bytes> <file-size bytes> <open files> [<stdout file> <arg>...]
 * and for each it forks; the copy applies the job's limits (never above the server's own), moves
 * into the job directory and serves the request, while the server waits for it and replies
 * "<wait status> <cpu microseconds> <job dir>". Every copy starts from the same pristine state,
 * which no job can change: a copy's memory is its own. Two ways of serving, set by
 * RENDERLOOP_FORK_MODE:
 * - "open" (pdflatex): pdflatex runs wait.tex (format, fonts and TikZ loaded, a picture typeset,
 *   \begin{document} done), then opens body.tex: that open does not return in the server. In a copy
 *   it returns the job's own body.tex, after the copy has taken over the log and aux files, and TeX
 *   typesets it and exits. The copy keeps pdflatex's own guards (no shell escape, paranoid file access).
 * - "main" (pdftoppm): the program's main() never runs in the server, which has only been loaded
 *   and linked (most of a short pdftoppm run); each copy runs main() with the request's arguments,
 *   its standard output sent to the request's file.
 * The server removes its own settings from the environment, and its pipes are closed on exec, so
 * nothing a program might start inherits them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 64

typedef int (*main_fn)(int, char **, char **);

static int requests = -1, replies = -1;
static int open_mode, main_mode, served;
static main_fn real_main;

struct request {
    char *dir, *out;
    long long cpu, as, fsize, nofile;
    char *args[MAX_ARGS];
    int nargs;
};

static FILE *real_fopen(const char *path, const char *mode) {
    FILE *(*real)(const char *, const char *) = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
    return real(path, mode);
}

static int read_line(int fd, char *buf, size_t size) {
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        if (buf[n] == '\n') { buf[n] = 0; return 0; }
        n++;
    }
    return -1;
}

static int parse(char *line, struct request *r) {
    char *fields[6 + MAX_ARGS];
    int n = 0;
    for (char *f = strtok(line, "\t"); f != NULL && n < 6 + MAX_ARGS; f = strtok(NULL, "\t")) fields[n++] = f;
    if (n < 5) return -1;
    r->dir = fields[0];
    r->cpu = atoll(fields[1]);
    r->as = atoll(fields[2]);
    r->fsize = atoll(fields[3]);
    r->nofile = atoll(fields[4]);
    r->out = n > 5 ? fields[5] : NULL;
    r->nargs = 0;
    for (int i = 6; i < n && r->nargs < MAX_ARGS - 2; i++) r->args[++r->nargs] = fields[i];
    return 0;
}

/* A limit of the job, never above the server's own (a copy cannot raise a hard limit anyway). */
static int lower(int which, long long value, long long extra_hard) {
    struct rlimit now;
    if (value <= 0) return 0;
    if (getrlimit(which, &now) != 0) return -1;
    rlim_t soft = (rlim_t)value, hard = (rlim_t)(value + extra_hard);
    if (now.rlim_max != RLIM_INFINITY && hard > now.rlim_max) hard = now.rlim_max;
    if (soft > hard) soft = hard;
    struct rlimit want = {soft, hard};
    return setrlimit(which, &want);
}

/* In a fresh pdflatex copy, now in its job directory: the files pdflatex holds open in the server's
   directory become the job's own. The transcript (doc.log) and the aux file (doc.aux, opened by
   \begin{document}, read back by \end{document}) are replaced by new ones in the job directory;
   wait.tex, still being read, is kept; any other file there would be shared between jobs, so the
   copy refuses to run. */
static int take_over_files(const char *server_dir) {
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *entry;
    char link[300], target[4096];
    size_t prefix = strlen(server_dir);
    if (dir == NULL) return -1;
    while ((entry = readdir(dir)) != NULL) {
        snprintf(link, sizeof link, "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 0) continue;
        target[n] = 0;
        if (strncmp(target, server_dir, prefix) != 0 || target[prefix] != '/') continue;
        const char *name = target + prefix + 1;
        if (strcmp(name, "wait.tex") == 0) continue;
        if (strcmp(name, "doc.log") != 0 && strcmp(name, "doc.aux") != 0) {
            closedir(dir);
            return -1;
        }
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, atoi(entry->d_name)) < 0) {
            closedir(dir);
            return -1;
        }
        close(fd);
    }
    closedir(dir);
    return 0;
}

/* The server loop: returns only in a copy, which has its request in *r, its limits applied and is
   in its job directory. */
static void serve(struct request *r, char *line, size_t size) {
    char reply[4200], server_dir[4096];
    if (getcwd(server_dir, sizeof server_dir) == NULL) _exit(70);
    fflush(NULL);  /* nothing buffered before the fork may be written twice */
    if (write(replies, "ready\n", 6) != 6) _exit(0);  /* warmed up: the worker waits for this */
    for (;;) {
        if (read_line(requests, line, size) != 0) _exit(0);
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)strcspn(line, "\t"), line);
        pid_t pid = fork();
        if (pid == 0) {
            close(requests);
            close(replies);
            if (parse(line, r) != 0) _exit(73);
            if (lower(RLIMIT_CPU, r->cpu, 1) != 0 || lower(RLIMIT_AS, r->as, 0) != 0
                    || lower(RLIMIT_FSIZE, r->fsize, 0) != 0 || lower(RLIMIT_NOFILE, r->nofile, 0) != 0) _exit(74);
            if (chdir(r->dir) != 0) _exit(71);
            if (open_mode && take_over_files(server_dir) != 0) _exit(72);
            return;
        }
        int status = -1;
        struct rusage use;
        memset(&use, 0, sizeof use);
        if (pid > 0) {
            while (wait4(pid, &status, 0, &use) < 0 && errno == EINTR) {}
        }
        long micros = use.ru_utime.tv_sec * 1000000L + use.ru_utime.tv_usec
                      + use.ru_stime.tv_sec * 1000000L + use.ru_stime.tv_usec;
        int len = snprintf(reply, sizeof reply, "%d %ld %s\n", status, micros, dir);
        if (len <= 0 || write(replies, reply, len) != len) _exit(0);
    }
}

FILE *fopen(const char *path, const char *mode) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (open_mode && !served && mode[0] == 'r' && strcmp(base, "body.tex") == 0) {
        static char line[8192];
        struct request r;
        served = 1;
        serve(&r, line, sizeof line);
        return real_fopen("body.tex", mode);
    }
    return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
    return fopen(path, mode);
}

static int main_server(int argc, char **argv, char **envp) {
    if (!main_mode) return real_main(argc, argv, envp);
    static char line[65536];
    struct request r;
    serve(&r, line, sizeof line);
    int out = open(r.out != NULL ? r.out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (out < 0 || dup2(out, 1) < 0) _exit(75);
    close(out);
    r.args[0] = argv[0];
    r.args[r.nargs + 1] = NULL;
    int rc = real_main(r.nargs + 1, r.args, envp);
    fflush(NULL);
    _exit(rc);  /* the process ends here: tearing down the program's objects would only cost time */
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end) {
    int (*real)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *) =
        (int (*)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *))
        dlsym(RTLD_NEXT, "__libc_start_main");
    const char *fds = getenv("RENDERLOOP_FORK_FDS");
    const char *mode = getenv("RENDERLOOP_FORK_MODE");
    if (fds != NULL && mode != NULL && sscanf(fds, "%d,%d", &requests, &replies) == 2) {
        open_mode = strcmp(mode, "open") == 0;
        main_mode = strcmp(mode, "main") == 0;
        fcntl(requests, F_SETFD, FD_CLOEXEC);
        fcntl(replies, F_SETFD, FD_CLOEXEC);
    }
    unsetenv("RENDERLOOP_FORK_FDS");
    unsetenv("RENDERLOOP_FORK_MODE");
    unsetenv("LD_PRELOAD");
    real_main = main;
    return real(main_server, argc, argv, init, fini, rtld_fini, stack_end);
}
