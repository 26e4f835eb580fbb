import Foundation
import Testing

@testable import ErpmesCore

/// A configuration in the shape of `erpmes.toml`; line numbers matter to the tests below.
private let sample = """
    log_level = "info"

    [run]
    poll = "1s"
    batch_keys = 10000
    dry_run = false
    notify = ["erp", "mes"]

    [links.plant1]
    erp = "service=erp"
    mes = "service=mes1"
    timezon = "Europe/Berlin"

    [links.plant2]
    erp = "service=erp"
    mes = { conninfo = "service=mes2" }
    colour = "blue"
    """

private func reader(_ text: String = sample, environment: [String: String] = [:]) throws -> ConfigReader {
    ConfigReader(try TOMLParser.parse(text, file: "erpmes.toml").applyingEnvironment(environment), file: "erpmes.toml")
}

/// Typed access with precise errors: every error names the dotted key and its line.
@Suite struct ConfigReaderTests {
    @Test("accessors return typed values, and sub-tables come in file order with their names and paths")
    func typedValues() throws {
        let config = try reader()
        #expect(try config.string("log_level") == "info")
        let run = try config.table("run")
        #expect(run.path == "run")
        #expect(try run.duration("poll") == .seconds(1))
        #expect(try run.int("batch_keys") == 10_000)
        #expect(try run.bool("dry_run") == false)
        #expect(try run.stringArray("notify") == ["erp", "mes"])
        let links = try config.tables("links")
        #expect(links.map(\.name) == ["plant1", "plant2"])
        #expect(links.map(\.path) == ["links.plant1", "links.plant2"])
        #expect(try links[1].table("mes").string("conninfo") == "service=mes2")
        #expect("\(try links[0].secret("erp"))" == "<redacted>")  // a conninfo never prints
    }

    @Test("optional accessors return nil for absent keys")
    func optionals() throws {
        let run = try reader().table("run")
        #expect(try run.optionalString("none") == nil)
        #expect(try run.optionalInt("none") == nil)
        #expect(try run.optionalBool("none") == nil)
        #expect(try run.optionalDuration("none") == nil)
        #expect(try run.optionalStringArray("none") == nil)
        #expect(try run.optionalTable("none") == nil)
        #expect(try run.optionalString("poll") == "1s")
        #expect(run.contains("poll") && !run.contains("none"))
    }

    @Test("a missing key points at the header of its table, or at no line in the root")
    func missingKeys() throws {
        let config = try reader()
        let inTable = try #require(throws: ConfigError.self) { try config.table("links").table("plant1").int("port") }
        #expect(inTable.code == .missingKey)
        #expect(inTable.keyPath == "links.plant1.port")
        #expect(inTable.description == #"erpmes.toml:9:1: missing key "links.plant1.port""#)
        let inRoot = try #require(throws: ConfigError.self) { try config.string("conninfo") }
        #expect(inRoot.description == #"erpmes.toml: missing key "conninfo""#)
        let inInline = try #require(throws: ConfigError.self) { try config.tables("links")[1].table("mes").string("x") }
        #expect(inInline.description == #"erpmes.toml:16:7: missing key "links.plant2.mes.x""#)
    }

    @Test(
        "a value of the wrong type names its key, its line and both types",
        arguments: [
            (
                ["links", "plant1"], "erp", "int",
                #"erpmes.toml:10:1: "links.plant1.erp" must be an integer, not a string"#
            ),
            (["run"], "batch_keys", "string", #"erpmes.toml:5:1: "run.batch_keys" must be a string, not an integer"#),
            (["run"], "poll", "bool", #"erpmes.toml:4:1: "run.poll" must be a boolean, not a string"#),
            (
                ["run"], "batch_keys", "duration",
                #"erpmes.toml:5:1: "run.batch_keys" must be a duration string such as "5s", not an integer"#
            ),
            (["run"], "poll", "stringArray", #"erpmes.toml:4:1: "run.poll" must be an array of strings, not a string"#),
            (["run"], "poll", "table", #"erpmes.toml:4:1: "run.poll" must be a table, not a string"#),
            (
                ["links"], "plant1", "tableArray",
                #"erpmes.toml:9:8: "links.plant1" must be an array of tables, not a table"#
            ),
        ]
    )
    func wrongTypes(tablePath: [String], key: String, accessor: String, description: String) throws {
        var table = try reader()
        for name in tablePath { table = try table.table(name) }
        let error = try #require(throws: ConfigError.self) {
            switch accessor {
            case "int": _ = try table.int(key)
            case "string": _ = try table.string(key)
            case "bool": _ = try table.bool(key)
            case "duration": _ = try table.duration(key)
            case "stringArray": _ = try table.stringArray(key)
            case "table": _ = try table.table(key)
            default: _ = try table.tableArray(key)
            }
        }
        #expect(error.code == .wrongType)
        #expect(error.description == description)
    }

    @Test("arrays name the first element of the wrong type, and tables() names the first non-table")
    func elementTypes() throws {
        let config = try reader("hosts = [\"a\", 2]\n[links]\nplant1 = \"x\"")
        let array = try #require(throws: ConfigError.self) { try config.stringArray("hosts") }
        #expect(
            array.description == #"erpmes.toml:1:1: "hosts" must be an array of strings, but element 1 is an integer"#
        )
        let tables = try #require(throws: ConfigError.self) { try config.tables("links") }
        #expect(tables.description == #"erpmes.toml:3:1: "links.plant1" must be a table, not a string"#)
    }

    @Test("arrays of tables are read element by element, with indexed paths in errors")
    func tableArrays() throws {
        let config = try reader("[[entity]]\nname = \"item\"\n[[entity]]\nname = 7")
        let entities = try config.tableArray("entity")
        #expect(entities.map(\.path) == ["entity[0]", "entity[1]"])
        #expect(try entities[0].string("name") == "item")
        let error = try #require(throws: ConfigError.self) { try entities[1].string("name") }
        #expect(error.description == #"erpmes.toml:4:1: "entity[1].name" must be a string, not an integer"#)
    }

    @Test(
        "durations are a whole number and one of ms, s, min, h, d",
        arguments: [
            ("500ms", Duration.milliseconds(500)), ("1s", .seconds(1)), ("5min", .seconds(300)),
            ("2h", .seconds(7_200)),
            ("7d", .seconds(604_800)), ("0s", .zero), ("1000000ms", .seconds(1_000)),
        ]
    )
    func durations(text: String, expected: Duration) {
        #expect(ConfigReader.parseDuration(text) == expected)
    }

    @Test(
        "anything else is not a duration",
        arguments: ["", "5", "s", "1.5s", "5m", "5 min", " 5s", "-1s", "+1s", "1h30min", "5S", "106751991167301d"]
    )
    func notDurations(text: String) {
        #expect(ConfigReader.parseDuration(text) == nil)
    }

    @Test("an invalid duration is an invalid value naming the key and the accepted units")
    func invalidDuration() throws {
        let run = try reader("[run]\npoll = \"5x\"").table("run")
        let error = try #require(throws: ConfigError.self) { try run.duration("poll") }
        #expect(error.code == .invalidValue)
        #expect(error.keyPath == "run.poll")
        #expect(
            error.description
                == #"erpmes.toml:2:1: "run.poll" is not a duration: "5x" "#
                + #"(use a whole number and ms, s, min, h or d, as in "500ms" or "5min")"#
        )
    }

    @Test("an unknown key is reported at its line, with the nearest allowed key when one is close")
    func unknownKeys() throws {
        let links = try reader().tables("links")
        let typo = try #require(throws: ConfigError.self) {
            try links[0].rejectUnknownKeys(allowed: ["erp", "mes", "timezone"])
        }
        #expect(typo.code == .unknownKey)
        #expect(typo.keyPath == "links.plant1.timezon")
        #expect(typo.description == #"erpmes.toml:12:1: unknown key "links.plant1.timezon"; did you mean "timezone"?"#)
        let unrelated = try #require(throws: ConfigError.self) {
            try links[1].rejectUnknownKeys(allowed: ["erp", "mes", "timezone"])
        }
        #expect(unrelated.description == #"erpmes.toml:17:1: unknown key "links.plant2.colour""#)
        #expect(throws: Never.self) { try links[0].rejectUnknownKeys(allowed: ["erp", "mes", "timezon"]) }
    }

    @Test("edit distance counts insertions, deletions and substitutions")
    func editDistance() {
        #expect(ConfigReader.editDistance("timezon", "timezone") == 1)
        #expect(ConfigReader.editDistance("colour", "color") == 1)
        #expect(ConfigReader.editDistance("kitten", "sitting") == 3)
        #expect(ConfigReader.editDistance("", "abc") == 3)
        #expect(ConfigReader.editDistance("erp", "erp") == 0)
    }

    @Test("load reads the file and applies the environment")
    func load() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("erpmes-\(UUID()).toml").path
        try "[run]\nbatch_keys = 10\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try ConfigReader.load(contentsOfFile: path, environment: ["ERPMES_RUN_BATCH_KEYS": "20"])
        #expect(config.file == path)
        #expect(try config.table("run").int("batch_keys") == 20)
    }
}

/// `ERPMES_<SECTION>_<KEY>` overrides.
@Suite struct EnvironmentOverrideTests {
    @Test("a variable replaces the value at the key path it names, matched case-insensitively")
    func replacesExistingValues() throws {
        let config = try reader(
            environment: [
                "ERPMES_LINKS_PLANT1_ERP": "service=erp_override",
                "erpmes_links_plant1_mes": "service=mes_override",
                "ERPMES_LOG_LEVEL": "debug",
                "PATH": "/usr/bin",
                "ERPMES_": "ignored",
            ]
        )
        let plant1 = try config.table("links").table("plant1")
        #expect(try plant1.string("erp") == "service=erp_override")
        #expect(try plant1.string("mes") == "service=mes_override")
        #expect(try config.string("log_level") == "debug")  // the existing key wins over a [log] table
        #expect(config.keys == ["log_level", "run", "links"])
        #expect(plant1.table.source(of: "erp") == .environment("ERPMES_LINKS_PLANT1_ERP"))
    }

    @Test("a variable takes the type of the value it replaces")
    func typedByExistingValue() throws {
        let text = "[run]\nbatch_keys = 1\ndry_run = false\nratio = 0.5\nnotify = []\nsince = 2024-01-01\nplant-id = 3"
        let table = try TOMLParser.parse(text).applyingEnvironment(
            [
                "ERPMES_RUN_BATCH_KEYS": "0x10", "ERPMES_RUN_DRY_RUN": "true", "ERPMES_RUN_RATIO": "2",
                "ERPMES_RUN_NOTIFY": #"["erp", "mes"]"#, "ERPMES_RUN_SINCE": "2024-06-30T12:00:00Z",
                "ERPMES_RUN_PLANT_ID": "4",
            ]
        )
        #expect(
            table["run"]
                == [
                    "batch_keys": 16, "dry_run": true, "ratio": 2.0, "notify": ["erp", "mes"],
                    "since": .datetime("2024-06-30T12:00:00Z"), "plant-id": 4,
                ]
        )
    }

    @Test(
        "a variable that does not spell the existing value's type names the variable and the key",
        arguments: [
            (
                "ERPMES_RUN_BATCH_KEYS", "lots",
                #"environment variable ERPMES_RUN_BATCH_KEYS: "run.batch_keys" must be an integer"#
            ),
            (
                "ERPMES_RUN_DRY_RUN", "yes",
                #"environment variable ERPMES_RUN_DRY_RUN: "run.dry_run" must be true or false"#
            ),
            (
                "ERPMES_RUN_NOTIFY", "erp,mes",
                #"environment variable ERPMES_RUN_NOTIFY: "run.notify" must be an array in TOML syntax, "#
                    + #"such as ["a", "b"]"#
            ),
        ]
    )
    func typeErrors(variable: String, value: String, description: String) throws {
        let error = try #require(throws: ConfigError.self) { try reader(environment: [variable: value]) }
        #expect(error.code == .invalidValue)
        #expect(error.environmentVariable == variable)
        #expect(error.description == description)
    }

    @Test("a new key goes into the deepest table the name starts with, else into a new section")
    func newKeys() throws {
        let config = try reader(
            environment: [
                "ERPMES_RUN_POLL_INTERVAL": "250ms", "ERPMES_LINKS_PLANT2_TIMEZONE": "Europe/Vienna",
                "ERPMES_METRICS_LISTEN_ADDRESS": "0.0.0.0:9100", "ERPMES_DEBUG": "true",
            ]
        )
        #expect(try config.table("run").duration("poll_interval") == .milliseconds(250))
        #expect(try config.table("links").table("plant2").string("timezone") == "Europe/Vienna")
        #expect(try config.table("metrics").string("listen_address") == "0.0.0.0:9100")
        #expect(try config.bool("debug") == true)
        #expect(config.table.source(of: "metrics") == .environment("ERPMES_METRICS_LISTEN_ADDRESS"))
    }

    @Test("strings from the environment are read as integers or booleans on request, with errors naming the variable")
    func newKeysAreParsedOnRead() throws {
        let run = try reader(environment: ["ERPMES_RUN_MAX_BYTES": "16777216", "ERPMES_RUN_TRACE": "maybe"]).table(
            "run"
        )
        #expect(try run.int("max_bytes") == 16_777_216)
        let error = try #require(throws: ConfigError.self) { try run.bool("trace") }
        #expect(error.code == .invalidValue)
        #expect(error.description == #"environment variable ERPMES_RUN_TRACE: "run.trace" must be true or false"#)
        let wrongType = try #require(throws: ConfigError.self) { try run.stringArray("max_bytes") }
        #expect(
            wrongType.description
                == #"environment variable ERPMES_RUN_MAX_BYTES: "run.max_bytes" must be an array of strings, "#
                + "not a string"
        )
    }

    @Test("a name that fits two keys, names a table, passes through a value or names nothing is an error")
    func unresolvable() throws {
        let ambiguous = try #require(throws: ConfigError.self) {
            try TOMLParser.parse("a_b.c = 1\n[a]\nb_c = 2").applyingEnvironment(["ERPMES_A_B_C": "3"])
        }
        #expect(ambiguous.code == .ambiguousKey)
        #expect(
            ambiguous.description
                == #"environment variable ERPMES_A_B_C: the name fits "a_b.c" and "a.b_c"; rename one of them"#
        )
        let table = try #require(throws: ConfigError.self) { try reader(environment: ["ERPMES_LINKS_PLANT1": "x"]) }
        #expect(table.code == .wrongType)
        #expect(
            table.description
                == #"environment variable ERPMES_LINKS_PLANT1: "links.plant1" is a table; "#
                + "only values can be set from the environment"
        )
        let throughValue = try #require(throws: ConfigError.self) {
            try TOMLParser.parse("debug = true").applyingEnvironment(["ERPMES_DEBUG_LEVEL": "2"])
        }
        #expect(throughValue.code == .wrongType)
        #expect(
            throughValue.description == #"environment variable ERPMES_DEBUG_LEVEL: "debug" is a boolean, not a table"#
        )
        let empty = try #require(throws: ConfigError.self) {
            try TOMLParser.parse("").applyingEnvironment(["ERPMES_LOG__LEVEL": "2"])
        }
        #expect(empty.description == "environment variable ERPMES_LOG__LEVEL: the name does not name a key")
    }
}
