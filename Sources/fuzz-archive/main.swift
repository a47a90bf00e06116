// The archive fuzz target (see ArchiveFuzzTarget and fuzz/run).
import FuzzTargets

FuzzDriver.main(ArchiveFuzzTarget.shared.run)
