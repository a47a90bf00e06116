// bench/raw-client.c: the baseline of the streaming benchmark. Opens the serial link raw, as
// the agent does, then writes COUNT numbered, checksummed lines, one at a time, each after
// the previous line's "ok". Prints "<lines/s> <CPU seconds>" for the loop.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: raw-client LINK COUNT\n"); return 2; }
    int fd = open(argv[1], O_RDWR | O_NOCTTY);
    if (fd < 0) { perror(argv[1]); return 1; }
    struct termios raw;
    tcgetattr(fd, &raw);
    cfmakeraw(&raw);
    tcsetattr(fd, TCSANOW, &raw);
    long count = atol(argv[2]);
    char line[96], reply[256];
    double start = seconds(), cpuStart = cpu();
    for (long n = 1; n <= count; n++) {
        int length = snprintf(line, sizeof line, "N%ld G1 X%ld.5 Y20.25 E0.0421", n, n % 200);
        int checksum = 0;
        for (int i = 0; i < length; i++) checksum ^= (unsigned char)line[i];
        length += snprintf(line + length, sizeof line - length, "*%d\n", checksum);
        if (write(fd, line, length) != length) { perror("write"); return 1; }
        size_t have = 0;
        while (have < 3 || memcmp(reply + have - 3, "ok\n", 3) != 0) {
            ssize_t got = read(fd, reply + have, sizeof reply - have);
            if (got <= 0) { perror("read"); return 1; }
            have += got;
            if (have >= sizeof reply - 1) have = 0;
        }
    }
    printf("%.0f %.3f\n", count / (seconds() - start), cpu() - cpuStart);
    return 0;
}
