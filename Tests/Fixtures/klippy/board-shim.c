// The board under Klipper's Linux-process MCU firmware (klipper.elf) in the tests: loaded
// with LD_PRELOAD, it stands in for the kernel devices the firmware opens, so that the real
// Klippy drives a printer with no hardware.
//
// - /dev/gpiochipN: exists, and every line request succeeds; an output line keeps its value, an input
//   line reads 0 (endstops open). Steppers, fans and heaters are such lines.
// - /sys/bus/iio/devices/iio:device0/in_voltageN_raw: the ADC. Channel 0 is the hotend's
//   sensor, channel 1 the bed's; each reads a temperature that a heater line drives (line 20
//   of gpiochip0 heats channel 0, line 21 channel 1): it rises at HEAT_RATE °C/s times the
//   heater's duty and falls toward AMBIENT at COOL_RATE of the difference per second. The
//   raw value is temperature / MAX_TEMP * 4095: printer.cfg reads it with a linear
//   adc_temperature table (0 °C at 0 V, MAX_TEMP at 5 V).
//
// Every other file and ioctl goes to the real C library.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 4096
#define ADC_CHANNELS 2
#define FIRST_HEATER_LINE 20
#define AMBIENT 25.0
#define HEAT_RATE 40.0
#define COOL_RATE 0.05
#define MAX_TEMP 500.0

// What a descriptor the shim made stands for.
enum kind { NONE, CHIP, LINE, ADC };

struct fake {
    enum kind kind;
    int chip;         // CHIP, LINE
    int line;         // LINE: the first line of the request
    int channel;      // ADC
};

// A heater: its line's state and the time it has been on since the last ADC read.
struct heater {
    int on;
    double changed;   // when `on` last changed or was accounted
    double on_time;   // seconds on since the last read
    double temperature;
    double last_read;
};

static struct fake fakes[MAX_FDS];
static struct heater heaters[ADC_CHANNELS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int (*real_open)(const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static int (*real_close)(int);
static int (*real_access)(const char *, int);

// The monotonic time in seconds.
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((constructor))
static void setup(void)
{
    real_open = dlsym(RTLD_NEXT, "open");
    real_ioctl = dlsym(RTLD_NEXT, "ioctl");
    real_pread = dlsym(RTLD_NEXT, "pread");
    real_close = dlsym(RTLD_NEXT, "close");
    real_access = dlsym(RTLD_NEXT, "access");
    double start = now();
    for (int i = 0; i < ADC_CHANNELS; i++) {
        heaters[i].temperature = AMBIENT;
        heaters[i].changed = heaters[i].last_read = start;
    }
}

// A descriptor to hand out for a fake device (a real one, so close and poll work).
static int fake_fd(struct fake what)
{
    int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0 || fd >= MAX_FDS) return fd;
    fakes[fd] = what;
    return fd;
}

// The heater that `line` of gpiochip0 drives, or NULL.
static struct heater *heater_of(int chip, int line)
{
    int index = line - FIRST_HEATER_LINE;
    if (chip != 0 || index < 0 || index >= ADC_CHANNELS) return NULL;
    return &heaters[index];
}

// Sets a line: a heater's time on is accounted; other lines need nothing kept.
static void set_line(int chip, int line, int value)
{
    struct heater *heater = heater_of(chip, line);
    if (!heater) return;
    double t = now();
    if (heater->on) heater->on_time += t - heater->changed;
    heater->changed = t;
    heater->on = value != 0;
}

// The raw ADC value of `channel`, after moving its temperature on to now.
static int adc_read(int channel)
{
    struct heater *heater = &heaters[channel];
    double t = now();
    if (heater->on) heater->on_time += t - heater->changed;
    heater->changed = t;
    double elapsed = t - heater->last_read;
    heater->last_read = t;
    if (elapsed > 0) {
        heater->temperature += HEAT_RATE * heater->on_time;
        heater->temperature -= (heater->temperature - AMBIENT) * COOL_RATE * elapsed;
    }
    heater->on_time = 0;
    if (heater->temperature > MAX_TEMP) heater->temperature = MAX_TEMP;
    return (int)(heater->temperature / MAX_TEMP * 4095.0 + 0.5);
}

int access(const char *path, int mode)
{
    int chip;
    if (sscanf(path, "/dev/gpiochip%d", &chip) == 1) return 0;
    return real_access(path, mode);
}

int open(const char *path, int flags, ...)
{
    int chip, channel;
    if (sscanf(path, "/dev/gpiochip%d", &chip) == 1)
        return fake_fd((struct fake){ .kind = CHIP, .chip = chip });
    if (sscanf(path, "/sys/bus/iio/devices/iio:device0/in_voltage%d_raw", &channel) == 1
        && channel >= 0 && channel < ADC_CHANNELS)
        return fake_fd((struct fake){ .kind = ADC, .channel = channel });
    va_list args;
    va_start(args, flags);
    mode_t mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
    va_end(args);
    return real_open(path, flags, mode);
}

int ioctl(int fd, unsigned long request, ...)
{
    va_list args;
    va_start(args, request);
    void *argument = va_arg(args, void *);
    va_end(args);
    if (fd < 0 || fd >= MAX_FDS || fakes[fd].kind == NONE) return real_ioctl(fd, request, argument);
    pthread_mutex_lock(&lock);
    int result = 0;
    struct fake *fake = &fakes[fd];
    if (fake->kind == CHIP && request == GPIO_GET_LINEHANDLE_IOCTL) {
        struct gpiohandle_request *handle = argument;
        struct fake line = { .kind = LINE, .chip = fake->chip, .line = (int)handle->lineoffsets[0] };
        if (handle->flags & GPIOHANDLE_REQUEST_OUTPUT)
            set_line(line.chip, line.line, handle->default_values[0]);
        handle->fd = fake_fd(line);
        result = handle->fd < 0 ? -1 : 0;
    } else if (fake->kind == LINE && request == GPIOHANDLE_SET_LINE_VALUES_IOCTL) {
        struct gpiohandle_data *data = argument;
        set_line(fake->chip, fake->line, data->values[0]);
    } else if (fake->kind == LINE && request == GPIOHANDLE_GET_LINE_VALUES_IOCTL) {
        struct gpiohandle_data *data = argument;
        data->values[0] = 0;
    }
    pthread_mutex_unlock(&lock);
    return result;
}

ssize_t pread(int fd, void *buffer, size_t count, off_t offset)
{
    if (fd < 0 || fd >= MAX_FDS || fakes[fd].kind != ADC) return real_pread(fd, buffer, count, offset);
    pthread_mutex_lock(&lock);
    int value = adc_read(fakes[fd].channel);
    pthread_mutex_unlock(&lock);
    int written = snprintf(buffer, count, "%d\n", value);
    return written < (int)count ? written : (ssize_t)count;
}

int close(int fd)
{
    if (fd >= 0 && fd < MAX_FDS) fakes[fd].kind = NONE;
    return real_close(fd);
}
