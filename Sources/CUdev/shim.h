// libudev: enumeration and hot-plug monitoring of USB block devices (Debian: libudev-dev).
#ifndef PRINTER_AGENT_CUDEV_SHIM_H
#define PRINTER_AGENT_CUDEV_SHIM_H
#include <libudev.h>
#endif
