// The host build's entry point; the device build's is `deviceMain` in PrinterAgent.
import CLibc
import PrinterAgent

exit(runAgent(CommandLine.argc, CommandLine.unsafeArgv))
