// The commands fuzz target (see CommandsFuzzTarget and fuzz/run).
import FuzzTargets

FuzzDriver.main(CommandsFuzzTarget.shared.run)
