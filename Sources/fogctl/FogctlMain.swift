import FogCLI
import Foundation

@main
struct FogctlMain {
    static func main() async {
        let code = await Fogctl.run(Array(CommandLine.arguments.dropFirst()))
        exit(code)
    }
}
