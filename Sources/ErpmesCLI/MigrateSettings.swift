import ErpmesCore
import ErpmesMigrate
import Foundation
import LibPQ

/// The `[migrate]` part of the configuration file.
struct MigrateSettings {
    var directory: String?
    var lockWait: String?
    var lockTimeout: String?
    var placeholders: [String: String] = [:]
    var targets: [MigrationTarget] = []
    var order: [String] = []

    static func load(path: String, environment: [String: String]) throws -> MigrateSettings {
        throw ConfigError(code: .syntax, file: path, line: 1, column: 1, keyPath: nil, message: "configuration files are not supported yet")
    }
}
