// libmosquitto, the MQTT 3.1.1/5 client library (Debian: libmosquitto-dev).
#ifndef PRINTER_AGENT_CMOSQUITTO_SHIM_H
#define PRINTER_AGENT_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
