// The `circuits` executable: everything lives in the CircuitsCLI library, where tests can reach it.
import CircuitsCLI
import Foundation

exit(CircuitsCLI.run(CommandLine.arguments))
