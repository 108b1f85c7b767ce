import Gates

/// `circuits guide`: the guide's chapters 1–2 worked through with the scalar `Gates` engine, printing
/// each example's numbers as the guide does.
enum GuideCommand: Command {
    static let name = "guide"
    static let summary = "walk through the guide's chapters 1–2 with the scalar Gates engine"
    static let options: [OptionSpec] = []

    static func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        context.console.write(guideWalkthrough())
        return .success
    }
}
