################################################################################
#
# printer-agent
#
################################################################################
#
# The printer agent from the checkout this BR2_EXTERNAL tree is part of. Nothing is
# compiled: `packaging/cross/build && make dist` in the checkout packs the device binaries
# and what `make install` needs into out/printer-agent-<version>.tar.gz; Buildroot unpacks
# that and installs with the checkout's own Makefile (install-bin, and install-systemd or
# install-sysv for the init system chosen), so the layout is the one of every other package.

PRINTER_AGENT_TREE = $(BR2_EXTERNAL_PRINTER_AGENT_PATH)/../..
PRINTER_AGENT_VERSION := $(shell MAKEFLAGS= $(MAKE) -s --no-print-directory -C $(PRINTER_AGENT_TREE) version)
PRINTER_AGENT_SITE = $(PRINTER_AGENT_TREE)/out
PRINTER_AGENT_SITE_METHOD = file
# The shared libraries the binary uses (libcurl is opened with dlopen at the first download and
# libmicrohttpd when LAN mode starts; Config.in selects them so that they are in the image).
PRINTER_AGENT_DEPENDENCIES = mosquitto openssl libcurl libmicrohttpd cjson udev zlib

PRINTER_AGENT_ARCH = $(if $(BR2_arm),armv7,$(call qstrip,$(BR2_ARCH)))
PRINTER_AGENT_INSTALL = $(TARGET_MAKE_ENV) $(MAKE) -C $(@D) DESTDIR=$(TARGET_DIR) \
	ARCH=$(PRINTER_AGENT_ARCH)

# With BR2_PACKAGE_PRINTER_AGENT_LAN_BROKER, the LAN broker profile's part of each step.
PRINTER_AGENT_LAN_BROKER = $(if $(BR2_PACKAGE_PRINTER_AGENT_LAN_BROKER),install-lan-broker-$(1))

define PRINTER_AGENT_INSTALL_TARGET_CMDS
	$(PRINTER_AGENT_INSTALL) install-bin $(call PRINTER_AGENT_LAN_BROKER,setup)
endef

define PRINTER_AGENT_INSTALL_INIT_SYSTEMD
	$(PRINTER_AGENT_INSTALL) install-systemd $(call PRINTER_AGENT_LAN_BROKER,systemd)
endef

# BusyBox init runs /etc/init.d/S??* in order: after the network (S40) and syslog, the LAN
# broker before the agent.
define PRINTER_AGENT_INSTALL_INIT_SYSV
	$(PRINTER_AGENT_INSTALL) INITSCRIPT=S95printer-agent LAN_BROKER_INITSCRIPT=S94printer-agent-lan-broker \
		install-sysv $(call PRINTER_AGENT_LAN_BROKER,sysv)
endef

define PRINTER_AGENT_USERS
	printer-agent -1 printer-agent -1 * /var/lib/printer-agent - dialout printer agent
endef

# The configuration may hold the broker password.
define PRINTER_AGENT_PERMISSIONS
	/etc/printer-agent/agent.conf f 0640 root printer-agent - - - - -
endef

$(eval $(generic-package))
