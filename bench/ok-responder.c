// bench/ok-responder.c: the "instant-ok" board of the streaming benchmark. It opens a
// pseudo-terminal, links its slave to argv[1], and answers every line it reads with "ok\n"
// at once: the fastest Marlin board there could be, so the host side is what is measured.
// It keeps a descriptor of the slave open, so the master never sees EIO between clients.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: ok-responder LINK\n"); return 2; }
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) { perror("posix_openpt"); return 1; }
    const char *name = ptsname(master);
    int slave = open(name, O_RDWR | O_NOCTTY);
    struct termios raw;
    tcgetattr(slave, &raw);
    cfmakeraw(&raw);
    tcsetattr(slave, TCSANOW, &raw);
    unlink(argv[1]);
    if (symlink(name, argv[1]) != 0) { perror("symlink"); return 1; }
    printf("ready %s\n", argv[1]);
    fflush(stdout);
    char buffer[65536];
    for (;;) {
        ssize_t got = read(master, buffer, sizeof buffer);
        if (got <= 0) continue;
        int lines = 0;
        for (ssize_t i = 0; i < got; i++) lines += buffer[i] == '\n';
        for (int i = 0; i < lines; i++) {
            if (write(master, "ok\n", 3) != 3) return 1;
        }
    }
}
