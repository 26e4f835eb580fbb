import Foundation
import LibPQ
import Testing

@testable import ErpmesCore

@Suite struct RunConfigurationTests {
    func load(_ text: String, environment: [String: String] = [:]) throws -> RunConfiguration {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("erpmes-\(UUID().uuidString).toml")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try RunConfiguration.load(path: url.path, environment: environment)
    }

    @Test("links and run settings are read, with defaults and environment overrides")
    func readsLinks() throws {
        let configuration = try self.load(
            """
            [run]
            poll = "500ms"
            rotate_rows = 5000

            [links.plant1]
            erp = "service=erp"
            mes = "service=mes1"
            timezone = "Europe/Berlin"
            """,
            environment: ["ERPMES_LINKS_PLANT1_MES": "service=mes2", "ERPMES_RUN_NOTIFY": "false"]
        )
        #expect(configuration.links.map(\.name) == ["plant1"])
        #expect(configuration.links[0].mes.reveal() == "service=mes2")
        #expect(configuration.links[0].timezone == "Europe/Berlin")
        #expect(configuration.poll == .milliseconds(500))
        #expect(configuration.notify == false)
        #expect(configuration.rotateRows == 5000)
        #expect(configuration.batchKeys == 10_000)
        #expect(configuration.retention == .seconds(7 * 86_400))
    }

    @Test("a bad time zone names the key and its line")
    func badTimeZone() throws {
        let error = try #require(throws: ConfigError.self) {
            try self.load("[links.plant1]\nerp = \"a\"\nmes = \"b\"\ntimezone = \"Mars/Olympus\"\n")
        }
        #expect(error.code == .invalidValue)
        #expect(error.keyPath == "links.plant1.timezone")
        #expect(error.message.contains("Mars/Olympus"))
        #expect(error.line == 4)
    }

    @Test("a missing conninfo, an unknown key and no links are errors")
    func missingAndUnknown() throws {
        let missing = try #require(throws: ConfigError.self) { try self.load("[links.plant1]\nerp = \"a\"\n") }
        #expect(missing.code == .missingKey)
        #expect(missing.keyPath == "links.plant1.mes")
        let unknown = try #require(throws: ConfigError.self) {
            try self.load("[run]\npol = \"1s\"\n[links.p]\nerp = \"a\"\nmes = \"b\"\n")
        }
        #expect(unknown.code == .unknownKey)
        #expect(unknown.message.contains("poll"))
        let none = try #require(throws: ConfigError.self) { try self.load("[run]\npoll = \"1s\"\n") }
        #expect(none.code == .missingKey)
        #expect(none.keyPath == "links")
    }
}
