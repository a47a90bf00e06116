# Makefile: the install layout of the printer agent, and the packages made from it.
#
#   make install DESTDIR=/tmp/root ARCH=armv7   the device binary, configuration, man page,
#                                               web page, the API's mDNS announcement script,
#                                               systemd unit and SysV init script (below)
#   make install-bin | install-systemd | install-sysv | install-procd
#                                               one part of it (Buildroot and OpenWrt install
#                                               only the init system they use)
#   make install-printerctl [PREFIX=/usr/local] printerctl, the command-line client, for this
#                                               machine (docs/printerctl.md); not part of install
#                                               and of no device package
#   make install-lan-broker DESTDIR=/tmp/root   the LAN broker profile (docs/lan-mode.md): its
#                                               setup script, settings, systemd unit and SysV
#                                               init script; not part of install
#   make install-lan-broker-setup | install-lan-broker-systemd | install-lan-broker-sysv |
#        install-lan-broker-procd               one part of it
#   make deb [ARCH=armv7]                       out/printer-agent_<version>_<debian arch>.deb
#                                               (without ARCH: all three) and
#                                               out/printer-agent-lan-broker_<version>_all.deb
#   make dist                                   out/printer-agent-<version>.tar.gz: what
#                                               `make install` needs, for Buildroot and Yocto
#   make package-test                           packaging/test (every packaging check)
#   make version                                prints the version (AgentVersion.swift)
#
# Nothing here compiles: packaging/cross/build makes out/<ARCH>/printer-agent, `swift build -c
# release --product printerctl --static-swift-stdlib` makes printerctl, and an install without
# them stops with a message saying so. Every package format (Debian, Buildroot, Yocto,
# OpenWrt) installs through these targets, so the layout is defined once, here.
#
# ARCH is x86_64, armv7 or aarch64 (default: this machine's). The paths may be changed (for
# example PREFIX=/usr/local); the unit and init scripts are rewritten to the binary's and
# configuration's real paths as they are installed, and agent.conf to the web page's
# (http_api_www).

ARCHES := x86_64 armv7 aarch64
ARCH ?= $(patsubst armv7%,armv7,$(shell uname -m))
DESTDIR ?=
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/printer-agent
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
INITDIR ?= $(SYSCONFDIR)/init.d
# The init scripts' names: Buildroot's BusyBox init runs /etc/init.d/S??* in order.
INITSCRIPT ?= printer-agent
LAN_BROKER_INITSCRIPT ?= printer-agent-lan-broker

VERSION := $(shell sed -n 's/^ *static let current = "\(.*\)"$$/\1/p' Sources/PrinterAgent/AgentVersion.swift)
BINARY := out/$(ARCH)/printer-agent
# The web page the OctoPrint-compatible API serves (docs/web-page.md; http_api_www).
WWW_FILES := www/index.html www/page.css www/page.js
PRINTERCTL ?= .build/release/printerctl

ifeq ($(VERSION),)
$(error no version found in Sources/PrinterAgent/AgentVersion.swift)
endif

# The source files use the default paths; an install elsewhere rewrites them.
EDIT_PATHS := sed -e 's|/usr/bin/printer-agent|$(BINDIR)/printer-agent|g' \
                  -e 's|/usr/share/printer-agent/|$(DATADIR)/|g' \
                  -e 's|/etc/printer-agent/|$(SYSCONFDIR)/printer-agent/|g' \
                  -e 's|/etc/default/printer-agent|$(SYSCONFDIR)/default/printer-agent|g'

# install_edited SOURCE TARGET MODE: SOURCE with the paths rewritten, as TARGET.
define install_edited
	install -d $(dir $(2))
	$(EDIT_PATHS) $(1) >$(2).tmp
	chmod $(3) $(2).tmp
	mv $(2).tmp $(2)
endef

.PHONY: install install-bin install-systemd install-sysv install-procd check-arch install-printerctl \
        install-lan-broker install-lan-broker-setup install-lan-broker-systemd \
        install-lan-broker-sysv install-lan-broker-procd deb dist package-test version

install: install-bin install-systemd install-sysv

check-arch:
	@case " $(ARCHES) " in *" $(ARCH) "*) ;; \
	 *) echo "make: ARCH=$(ARCH) is not one of: $(ARCHES)" >&2; exit 1 ;; esac

install-bin: check-arch $(BINARY)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/printer-agent $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/printer-agent
	$(call install_edited,etc/agent.conf,$(DESTDIR)$(SYSCONFDIR)/printer-agent/agent.conf,0640)
	gzip -9n <packaging/printer-agent.8 >$(DESTDIR)$(MANDIR)/man8/printer-agent.8.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/printer-agent.8.gz
	install -d $(DESTDIR)$(DATADIR)/www
	install -m 0644 $(WWW_FILES) $(DESTDIR)$(DATADIR)/www/
	$(call install_edited,packaging/discovery/octoprint-service,$(DESTDIR)$(DATADIR)/octoprint-service,0755)

install-systemd:
	$(call install_edited,packaging/systemd/printer-agent.service,$(DESTDIR)$(SYSTEMDUNITDIR)/printer-agent.service,0644)
	install -d $(DESTDIR)$(DATADIR)/systemd
	install -m 0644 packaging/systemd/klipper-socket.conf packaging/systemd/usb-automount.conf \
		$(DESTDIR)$(DATADIR)/systemd/

install-sysv:
	$(call install_edited,packaging/sysv/printer-agent,$(DESTDIR)$(INITDIR)/$(INITSCRIPT),0755)
	$(call install_edited,packaging/sysv/printer-agent.default,$(DESTDIR)$(SYSCONFDIR)/default/printer-agent,0644)

install-procd:
	$(call install_edited,packaging/openwrt/printer-agent.init,$(DESTDIR)$(INITDIR)/printer-agent,0755)

# The host's command-line client, built by SwiftPM for this machine (normal Swift, not the
# device build): for the people and scripts that drive printers, so no device package has it.
install-printerctl: $(PRINTERCTL)
	install -d $(DESTDIR)$(BINDIR)
	install -s -m 0755 $(PRINTERCTL) $(DESTDIR)$(BINDIR)/printerctl

$(PRINTERCTL):
	@echo "make: $@ is missing: build it first with swift build -c release --product printerctl --static-swift-stdlib" >&2
	@exit 1

# The LAN broker profile: mosquitto with TLS for LAN clients, started before the agent. Its
# own package where the format has packages (the Debian, Yocto and OpenWrt
# printer-agent-lan-broker, Buildroot's BR2_PACKAGE_PRINTER_AGENT_LAN_BROKER).
install-lan-broker: install-lan-broker-setup install-lan-broker-systemd install-lan-broker-sysv

install-lan-broker-setup:
	install -d $(DESTDIR)$(DATADIR)/lan-broker
	install -m 0755 packaging/lan-broker/setup $(DESTDIR)$(DATADIR)/lan-broker/setup
	$(call install_edited,packaging/lan-broker/printer-agent-lan-broker.default,$(DESTDIR)$(SYSCONFDIR)/default/printer-agent-lan-broker,0644)

install-lan-broker-systemd:
	$(call install_edited,packaging/lan-broker/printer-agent-lan-broker.service,$(DESTDIR)$(SYSTEMDUNITDIR)/printer-agent-lan-broker.service,0644)

install-lan-broker-sysv:
	$(call install_edited,packaging/lan-broker/printer-agent-lan-broker,$(DESTDIR)$(INITDIR)/$(LAN_BROKER_INITSCRIPT),0755)

install-lan-broker-procd:
	$(call install_edited,packaging/openwrt/printer-agent-lan-broker.init,$(DESTDIR)$(INITDIR)/printer-agent-lan-broker,0755)

# ARCH on the command line: that architecture's package only.
deb:
	packaging/deb/build $(if $(filter command line,$(origin ARCH)),$(ARCH),$(ARCHES))

# The tree `make install` reads, with the device binaries of every architecture built.
DIST_FILES := Makefile Sources/PrinterAgent/AgentVersion.swift etc/agent.conf $(WWW_FILES) \
	packaging/printer-agent.8 packaging/discovery packaging/systemd packaging/sysv packaging/openwrt/printer-agent.init \
	packaging/lan-broker packaging/openwrt/printer-agent-lan-broker.init \
	$(foreach arch,$(ARCHES),out/$(arch)/printer-agent)

dist: $(foreach arch,$(ARCHES),out/$(arch)/printer-agent)
	tar --create --gzip --file out/printer-agent-$(VERSION).tar.gz --sort=name \
		--owner=0 --group=0 --numeric-owner --mtime=@0 \
		--transform 's|^|printer-agent-$(VERSION)/|' $(DIST_FILES)
	@echo out/printer-agent-$(VERSION).tar.gz

out/%/printer-agent:
	@echo "make: $@ is missing: build it first with packaging/cross/build $*" >&2
	@exit 1

package-test:
	packaging/test

version:
	@echo $(VERSION)
