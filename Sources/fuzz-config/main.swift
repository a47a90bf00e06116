// The config fuzz target (see ConfigFuzzTarget and fuzz/run).
import FuzzTargets

FuzzDriver.main(ConfigFuzzTarget.run)
