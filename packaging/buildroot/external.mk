# The BR2_EXTERNAL tree of printer-agent: its one package.
include $(BR2_EXTERNAL_PRINTER_AGENT_PATH)/printer-agent/printer-agent.mk
