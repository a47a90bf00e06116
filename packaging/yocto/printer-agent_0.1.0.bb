# printer-agent_<version>.bb: the printer agent for Yocto/OpenEmbedded images. The version
# in the file name is the agent's own (Sources/PrinterAgent/AgentVersion.swift; packaging/test
# fails when they differ). Nothing is compiled: the checkout's `packaging/cross/build && make
# dist` packs the device binaries and what `make install` needs into
# out/printer-agent-<version>.tar.gz, and do_install runs that tree's `make install
# install-lan-broker`, so the layout is the one of every other package. How to add it to an
# image: see docs/packaging.md, "Packaging".

SUMMARY = "MQTT agent for 3D printers (Anycubic cloud protocol)"
DESCRIPTION = "One small process that holds an MQTT session with the cloud or a LAN broker \
and answers the printer's command topics. Configured in /etc/printer-agent/agent.conf."
# No license has been chosen for printer-agent yet.
LICENSE = "CLOSED"

SRC_URI = "file://printer-agent-${PV}.tar.gz"
S = "${WORKDIR}/printer-agent-${PV}"

# The shared libraries the binary uses; the packages' runtime dependencies follow from the
# binary's NEEDED entries, except libcurl, which the agent opens with dlopen at its first
# download, and libmicrohttpd, opened when LAN mode starts (so they are named here). It needs glibc 2.36 or newer (Yocto 4.1 "langdale" or later).
DEPENDS = "mosquitto openssl curl libmicrohttpd cjson udev zlib"
RDEPENDS:${PN} += "libcurl libmicrohttpd"
# With http_api on, the unit and the init script announce the API through Avahi when it is there.
RSUGGESTS:${PN} = "avahi-daemon"
COMPATIBLE_HOST = "(arm|aarch64|x86_64).*-linux.*"

inherit systemd update-rc.d useradd

# The device binary of the target: armv7 (Cortex-A7, hard-float, NEON), aarch64 or x86_64.
AGENT_ARCH = "${@{'arm': 'armv7'}.get(d.getVar('TARGET_ARCH'), d.getVar('TARGET_ARCH'))}"

USERADD_PACKAGES = "${PN}"
USERADD_PARAM:${PN} = "--system --user-group --groups dialout --home-dir /var/lib/printer-agent \
--no-create-home --shell /sbin/nologin printer-agent"

# The LAN broker profile is its own package, ${PN}-lan-broker (docs/lan-mode.md): its setup
# script, settings, unit and init script, and what they run. Installing it leaves LAN mode off.
PACKAGES =+ "${PN}-lan-broker"
RDEPENDS:${PN}-lan-broker = "${PN} mosquitto openssl-bin bash"

SYSTEMD_PACKAGES = "${PN} ${PN}-lan-broker"
SYSTEMD_SERVICE:${PN} = "printer-agent.service"
SYSTEMD_SERVICE:${PN}-lan-broker = "printer-agent-lan-broker.service"
INITSCRIPT_PACKAGES = "${PN} ${PN}-lan-broker"
INITSCRIPT_NAME = "printer-agent"
INITSCRIPT_PARAMS = "defaults 95 10"
# The broker starts before the agent and stops after it.
INITSCRIPT_NAME:${PN}-lan-broker = "printer-agent-lan-broker"
INITSCRIPT_PARAMS:${PN}-lan-broker = "defaults 94 11"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    oe_runmake install install-lan-broker DESTDIR=${D} ARCH=${AGENT_ARCH} BINDIR=${bindir} MANDIR=${mandir} \
        DATADIR=${datadir}/printer-agent SYSCONFDIR=${sysconfdir} \
        SYSTEMDUNITDIR=${systemd_system_unitdir} INITDIR=${INIT_D_DIR}
    # The configuration may hold the broker password.
    chown root:printer-agent ${D}${sysconfdir}/printer-agent/agent.conf
}

FILES:${PN} = "${bindir}/printer-agent ${sysconfdir}/printer-agent/agent.conf \
${sysconfdir}/default/printer-agent ${INIT_D_DIR}/printer-agent \
${systemd_system_unitdir}/printer-agent.service ${datadir}/printer-agent/systemd ${datadir}/printer-agent/www \
${datadir}/printer-agent/octoprint-service"
FILES:${PN}-doc = "${mandir}/man8/printer-agent.8.gz"
FILES:${PN}-lan-broker = "${datadir}/printer-agent/lan-broker ${sysconfdir}/default/printer-agent-lan-broker \
${INIT_D_DIR}/printer-agent-lan-broker ${systemd_system_unitdir}/printer-agent-lan-broker.service"
CONFFILES:${PN} = "${sysconfdir}/printer-agent/agent.conf ${sysconfdir}/default/printer-agent"
CONFFILES:${PN}-lan-broker = "${sysconfdir}/default/printer-agent-lan-broker"

# The binary comes stripped from packaging/cross/build (its symbols are in out/<arch>/*.debug).
INSANE_SKIP:${PN} = "already-stripped"
