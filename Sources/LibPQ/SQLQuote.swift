import Foundation

/// Quoting for the rare places where an identifier or literal must be part of SQL text.
///
/// Values belong in parameters; identifiers from configuration (schema, table, channel names) go
/// through ``identifier(_:)``, the Swift twin of `format('%I')`, never through concatenation.
public enum SQLQuote {
    /// `"name"` with embedded quotes doubled. Always quotes, so case and keywords are preserved.
    public static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `"schema"."name"`.
    public static func qualified(_ schema: String, _ name: String) -> String {
        self.identifier(schema) + "." + self.identifier(name)
    }

    /// `'text'` with quotes doubled, for SQL that is printed for a person to run (`migrate plan`);
    /// assumes `standard_conforming_strings = on`, the default since PostgreSQL 9.1.
    public static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
