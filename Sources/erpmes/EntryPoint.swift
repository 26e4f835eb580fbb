import ArgumentParser
import ErpmesCLI

/// The executable: everything lives in `ErpmesCLI`. Not a top-level `await` in `main.swift`, which
/// would pick argument-parser's synchronous entry point and fail async commands.
@main
enum EntryPoint {
    static func main() async { await Erpmes.main() }
}
