// The controller fuzz target (see ControllerFuzzTarget and fuzz/run).
import FuzzTargets

FuzzDriver.main(ControllerFuzzTarget.run)
