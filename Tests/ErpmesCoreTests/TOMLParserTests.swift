import Foundation
import Testing

@testable import ErpmesCore

/// The TOML parser: every syntax feature of TOML 1.0 and every error, with exact positions and messages.
@Suite struct TOMLParserTests {
    private func parse(_ text: String) throws -> TOMLTable { try TOMLParser.parse(text, file: "erpmes.toml") }

    @Test("comments, blank lines, CRLF line ends and a byte order mark are skipped")
    func commentsAndLineEnds() throws {
        let text = "\u{FEFF}# header comment\r\n\r\na = 1 # after a value\r\n  # indented\t comment\nb = 2"
        let table = try self.parse(text)
        #expect(table == ["a": 1, "b": 2])
        #expect(table.source(of: "b") == .file(TOMLPosition(line: 5, column: 1)))
    }

    @Test("bare, quoted, literal, empty and dotted keys")
    func keys() throws {
        let text = """
            bare_key-1 = 1
            "quoted key" = 2
            'literal "key"' = 3
            "" = 4
            site."google.com" = true
            a . b . c = 5
            1234 = "digits are a bare key"
            """
        let table = try self.parse(text)
        #expect(table.keys == ["bare_key-1", "quoted key", "literal \"key\"", "", "site", "a", "1234"])
        #expect(table["site"] == ["google.com": true])
        #expect(table["a"]?["b"]?["c"] == 5)
        #expect(table["1234"] == "digits are a bare key")
    }

    @Test("headers make nested tables in file order, and an implicit table may be defined once later")
    func tables() throws {
        let text = """
            [links.plant1]
            erp = "service=erp"
            [links.plant2]
            erp = "service=erp2"
            [ links . "plant 3" ]
            [a.b]
            x = 1
            [a]
            y = 2
            """
        let table = try self.parse(text)
        #expect(table.keys == ["links", "a"])
        guard case .table(let links)? = table["links"] else {
            Issue.record("links is not a table")
            return
        }
        #expect(links.keys == ["plant1", "plant2", "plant 3"])
        #expect(links["plant2"] == ["erp": "service=erp2"])
        #expect(links["plant 3"] == [:])
        #expect(table["a"] == ["b": ["x": 1], "y": 2])
    }

    @Test("dotted keys make tables that a header may add sub-tables to")
    func dottedKeyTables() throws {
        let text = """
            [fruit]
            apple.color = "red"
            apple.taste.sweet = true
            [fruit.apple.texture]
            smooth = true
            """
        let table = try self.parse(text)
        #expect(
            table["fruit"] == ["apple": ["color": "red", "taste": ["sweet": true], "texture": ["smooth": true]]]
        )
    }

    @Test("arrays of tables append an element per header, and sub-tables go into the last element")
    func arraysOfTables() throws {
        let text = """
            [[fruits]]
            name = "apple"
            [fruits.physical]
            color = "red"
            [[fruits.varieties]]
            name = "red delicious"
            [[fruits.varieties]]
            name = "granny smith"
            [[fruits]]
            name = "banana"
            [[fruits.varieties]]
            name = "plantain"
            """
        let table = try self.parse(text)
        #expect(
            table["fruits"] == [
                [
                    "name": "apple", "physical": ["color": "red"],
                    "varieties": [["name": "red delicious"], ["name": "granny smith"]],
                ],
                ["name": "banana", "varieties": [["name": "plantain"]]],
            ]
        )
    }

    @Test("basic strings resolve every escape")
    func basicStrings() throws {
        let table = try self.parse(#"s = "tab\t nl\n cr\r bs\b ff\f quote\" backslash\\ e\u00E9 smile\U0001F600""#)
        #expect(table["s"] == "tab\t nl\n cr\r bs\u{08} ff\u{0C} quote\" backslash\\ e\u{E9} smile\u{1F600}")
    }

    @Test("literal strings keep backslashes")
    func literalStrings() throws {
        let table = try self.parse(#"path = 'C:\Users\nodejs\templates'"# + "\n" + #"regex = '<\i\c*\s*>'"#)
        #expect(table["path"] == #"C:\Users\nodejs\templates"#)
        #expect(table["regex"] == #"<\i\c*\s*>"#)
    }

    @Test("multi-line basic strings drop the first newline, join backslash-ended lines and allow quotes")
    func multilineBasicStrings() throws {
        let text =
            "a = \"\"\"\nRoses\r\nViolets\"\"\"\n"
            + "b = \"\"\"\\\n    The quick \\  \n\n    brown fox.\\\n    \"\"\"\n"
            + "c = \"\"\"He said \"hi\" and \"\"quoted\"\".\"\"\"\n"
            + "d = \"\"\"ends with two quotes\"\"\"\"\"\n"
            + "e = \"\"\"tab\\there\"\"\""
        let table = try self.parse(text)
        #expect(table["a"] == "Roses\nViolets")
        #expect(table["b"] == "The quick brown fox.")
        #expect(table["c"] == "He said \"hi\" and \"\"quoted\"\".")
        #expect(table["d"] == "ends with two quotes\"\"")
        #expect(table["e"] == "tab\there")
    }

    @Test("multi-line literal strings keep everything but the first newline")
    func multilineLiteralStrings() throws {
        let text = "a = '''\nfirst \\n line\n  second'''\nb = '''one quote inside: '.''''"
        let table = try self.parse(text)
        #expect(table["a"] == "first \\n line\n  second")
        #expect(table["b"] == "one quote inside: '.'")
    }

    @Test("integers: signs, underscores, hexadecimal, octal, binary and the Int64 range")
    func integers() throws {
        let text = """
            a = +99
            b = -17
            c = 0
            d = 5_349_221
            e = 0xDEADbeef
            f = 0xdead_beef
            g = 0o755
            h = 0b1101_0110
            i = 9223372036854775807
            j = -9223372036854775808
            k = -0
            """
        let table = try self.parse(text)
        #expect(
            table == [
                "a": 99, "b": -17, "c": 0, "d": 5_349_221, "e": 0xDEAD_BEEF, "f": 0xDEAD_BEEF, "g": 0o755,
                "h": 0b1101_0110, "i": .integer(.max), "j": .integer(.min), "k": 0,
            ]
        )
    }

    @Test("floats: fractions, exponents, underscores, inf and nan")
    func floats() throws {
        let text = """
            a = +1.0
            b = -0.01
            c = 5e+22
            d = 1e06
            e = -2E-2
            f = 6.626e-34
            g = 224_617.445_991
            h = inf
            i = +inf
            j = -inf
            k = nan
            l = -nan
            """
        let table = try self.parse(text)
        #expect(table["a"] == 1.0)
        #expect(table["b"] == -0.01)
        #expect(table["c"] == 5e22)
        #expect(table["d"] == 1e6)
        #expect(table["e"] == -0.02)
        #expect(table["f"] == 6.626e-34)
        #expect(table["g"] == 224_617.445_991)
        #expect(table["h"] == .float(.infinity))
        #expect(table["i"] == .float(.infinity))
        #expect(table["j"] == .float(-.infinity))
        guard case .float(let k)? = table["k"], case .float(let l)? = table["l"] else {
            Issue.record("nan is not a float")
            return
        }
        #expect(k.isNaN && l.isNaN)
    }

    @Test("booleans and date-times; date-times stay the text they were written as")
    func booleansAndDateTimes() throws {
        let text = """
            yes = true
            no = false
            odt1 = 1979-05-27T07:32:00Z
            odt2 = 1979-05-27T00:32:00.999999-07:00
            odt3 = 1979-05-27 07:32:00+01:00
            ldt = 1979-05-27t07:32:00
            ld = 2000-02-29
            lt = 00:32:00.999999
            leap = 2016-12-31T23:59:60z
            """
        let table = try self.parse(text)
        #expect(
            table == [
                "yes": true, "no": false,
                "odt1": .datetime("1979-05-27T07:32:00Z"), "odt2": .datetime("1979-05-27T00:32:00.999999-07:00"),
                "odt3": .datetime("1979-05-27 07:32:00+01:00"), "ldt": .datetime("1979-05-27t07:32:00"),
                "ld": .datetime("2000-02-29"), "lt": .datetime("00:32:00.999999"),
                "leap": .datetime("2016-12-31T23:59:60z"),
            ]
        )
    }

    @Test("arrays: nested, mixed, empty, and spread over lines with comments and a trailing comma")
    func arrays() throws {
        let text = """
            empty = [ ]
            nested = [ [ 1, 2 ], ["a", 'b'] ]
            mixed = [ 0.1, "x", true, 1979-05-27, { k = 1 } ]
            spread = [
                "erp",  # the ERP side
                # a whole-line comment
                "mes",
            ]
            """
        let table = try self.parse(text)
        #expect(table["empty"] == [])
        #expect(table["nested"] == [[1, 2], ["a", "b"]])
        #expect(table["mixed"] == [0.1, "x", true, .datetime("1979-05-27"), ["k": 1]])
        #expect(table["spread"] == ["erp", "mes"])
    }

    @Test("inline tables: empty, nested and with dotted keys")
    func inlineTables() throws {
        let text = #"""
            empty = {}
            point = { x = 1, y = 2 }
            plant = { name = "Plant 1", site.city = "Linz", site.country = "AT", line = { id = 3 } }
            """#
        let table = try self.parse(text)
        #expect(table["empty"] == [:])
        #expect(table["point"] == ["x": 1, "y": 2])
        #expect(table["plant"] == ["name": "Plant 1", "site": ["city": "Linz", "country": "AT"], "line": ["id": 3]])
        guard case .table(let point)? = table["point"] else {
            Issue.record("point is not a table")
            return
        }
        #expect(point.keys == ["x", "y"])
    }

    @Test("keys and tables remember where they start")
    func sources() throws {
        let text = """
            top = 1
            [links.plant1]
              erp = "service=erp"
            inline = { mes = "service=mes" }
            """
        let table = try self.parse(text)
        #expect(table.source == nil)
        #expect(table.source(of: "links") == .file(TOMLPosition(line: 2, column: 2)))
        guard case .table(let links)? = table["links"], case .table(let plant)? = links["plant1"],
            case .table(let inline)? = plant["inline"]
        else {
            Issue.record("links.plant1.inline is not a table")
            return
        }
        #expect(plant.source == .file(TOMLPosition(line: 2, column: 1)))
        #expect(plant.source(of: "erp") == .file(TOMLPosition(line: 3, column: 3)))
        #expect(inline.source == .file(TOMLPosition(line: 4, column: 10)))
        #expect(inline.source(of: "mes") == .file(TOMLPosition(line: 4, column: 12)))
    }

    @Test(
        "errors name the file, line, column and what is wrong",
        arguments: [
            // Duplicate keys and tables defined twice.
            ("a = 1\na = 2", ConfigError.Code.duplicateKey, #"erpmes.toml:2:1: duplicate key "a""#),
            (
                "[links.plant1]\nerp = \"a\"\nmes = \"b\"\n  erp = \"c\"", .duplicateKey,
                #"erpmes.toml:4:3: duplicate key "links.plant1.erp""#
            ),
            (
                "[links]\nplant1.erp = 1\nplant1.erp = 2", .duplicateKey,
                #"erpmes.toml:3:8: duplicate key "links.plant1.erp""#
            ),
            ("a = 1\na.b = 2", .duplicateKey, #"erpmes.toml:2:1: duplicate key "a""#),
            ("p = { x = 1, x = 2 }", .duplicateKey, #"erpmes.toml:1:14: duplicate key "p.x""#),
            ("[a]\n[a]", .duplicateKey, #"erpmes.toml:2:2: table "a" is already defined"#),
            ("[a]\nb.c = 1\n[a.b]", .duplicateKey, #"erpmes.toml:3:4: table "a.b" is already defined"#),
            ("x.y = 1\n[x]", .duplicateKey, #"erpmes.toml:2:2: table "x" is already defined"#),
            (
                "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", .duplicateKey,
                #"erpmes.toml:4:3: table "a.b.c" is already defined; dotted keys cannot add to it"#
            ),
            ("a = { x = 1 }\na.y = 2", .duplicateKey, #"erpmes.toml:2:1: inline table "a" cannot be extended"#),
            ("a = { x = 1 }\n[a.b]", .duplicateKey, #"erpmes.toml:2:2: inline table "a" cannot be extended"#),
            ("a = [1]\n[[a]]", .duplicateKey, #"erpmes.toml:2:3: duplicate key "a""#),
            ("[[a]]\n[a]", .duplicateKey, #"erpmes.toml:2:2: table "a" is already defined as an array of tables"#),
            ("[a]\n[[a]]", .duplicateKey, #"erpmes.toml:2:3: table "a" is already defined"#),
            // Strings.
            (#"s = "a\qb""#, .syntax, #"erpmes.toml:1:7: invalid escape "\q""#),
            (#"s = "\u12""#, .syntax, #"erpmes.toml:1:6: "\u" must be followed by 4 hex digits"#),
            (#"s = "\UD800DC00""#, .syntax, #"erpmes.toml:1:6: "\UD800DC00" is not a Unicode scalar value"#),
            (#"s = "\uD800""#, .syntax, #"erpmes.toml:1:6: "\uD800" is not a Unicode scalar value"#),
            ("s = \"abc\nt = 1", .syntax, "erpmes.toml:1:5: unterminated string"),
            ("s = 'abc", .syntax, "erpmes.toml:1:5: unterminated string"),
            ("s = \"\"\"abc\n", .syntax, "erpmes.toml:1:5: unterminated multi-line string"),
            ("s = '''abc''", .syntax, "erpmes.toml:1:5: unterminated multi-line string"),
            (
                "s = \"\"\"a\"\"\"\"\"\"", .syntax,
                "erpmes.toml:1:9: too many quotes at the end of a multi-line string"
            ),
            ("s = \"a\u{01}b\"", .syntax, "erpmes.toml:1:7: control character U+0001 must be escaped"),
            (
                "s = 'a\u{7F}'", .syntax,
                "erpmes.toml:1:7: control character U+007F is not allowed in a literal string"
            ),
            ("# a\u{00}b", .syntax, "erpmes.toml:1:4: control character U+0000 is not allowed in a comment"),
            // Structure.
            ("a = 1 2", .syntax, #"erpmes.toml:1:7: unexpected "2" after value"#),
            ("a = \"x\" y", .syntax, #"erpmes.toml:1:9: unexpected "y" after value"#),
            ("[a] b = 1", .syntax, #"erpmes.toml:1:5: unexpected "b" after table header"#),
            ("a = 1\rb = 2", .syntax, "erpmes.toml:1:6: carriage return must be followed by a line feed"),
            ("a =", .syntax, "erpmes.toml:1:4: expected a value, found end of file"),
            ("a = \nb = 1", .syntax, "erpmes.toml:1:5: expected a value, found end of line"),
            ("a 1", .syntax, #"erpmes.toml:1:3: expected "=", found "1""#),
            ("= 1", .syntax, #"erpmes.toml:1:1: expected a key, found "=""#),
            ("a.b. = 1", .syntax, #"erpmes.toml:1:6: expected a key, found "=""#),
            ("é = 1", .syntax, #"erpmes.toml:1:1: expected a key, found "é""#),
            ("[a", .syntax, #"erpmes.toml:1:3: expected "]", found end of file"#),
            ("[[a]\n", .syntax, #"erpmes.toml:1:5: expected "]]", found end of line"#),
            ("a = [1, 2", .syntax, "erpmes.toml:1:5: unterminated array"),
            ("a = [1 2]", .syntax, #"erpmes.toml:1:8: expected "," or "]", found "2""#),
            ("a = [,]", .syntax, #"erpmes.toml:1:6: expected a value, found ",""#),
            ("a = { x = 1, }", .syntax, "erpmes.toml:1:12: trailing comma is not allowed in an inline table"),
            (
                "a = { x = 1\n}", .syntax,
                "erpmes.toml:1:5: unterminated inline table (it must end on the line it starts)"
            ),
            ("a = { x = 1 y = 2 }", .syntax, #"erpmes.toml:1:13: expected "," or "}", found "y""#),
            // Numbers, booleans, date-times.
            ("a = 01", .syntax, #"erpmes.toml:1:5: invalid number "01""#),
            ("a = 1__0", .syntax, #"erpmes.toml:1:5: invalid number "1__0""#),
            ("a = _1", .syntax, #"erpmes.toml:1:5: invalid number "_1""#),
            ("a = 1_", .syntax, #"erpmes.toml:1:5: invalid number "1_""#),
            ("a = 1.", .syntax, #"erpmes.toml:1:5: invalid number "1.""#),
            ("a = 1.e5", .syntax, #"erpmes.toml:1:5: invalid number "1.e5""#),
            ("a = 1e", .syntax, #"erpmes.toml:1:5: invalid number "1e""#),
            ("a = +0x1", .syntax, #"erpmes.toml:1:5: invalid number "+0x1""#),
            ("a = 0X1", .syntax, #"erpmes.toml:1:5: invalid number "0X1""#),
            ("a = 0b102", .syntax, #"erpmes.toml:1:5: invalid number "0b102""#),
            ("a = .5", .syntax, #"erpmes.toml:1:5: invalid number ".5""#),
            (
                "a = 9223372036854775808", .invalidValue,
                #"erpmes.toml:1:5: integer "9223372036854775808" is out of range"#
            ),
            (
                "a = 0x8000000000000000", .invalidValue,
                #"erpmes.toml:1:5: integer "0x8000000000000000" is out of range"#
            ),
            ("a = 1e400", .invalidValue, #"erpmes.toml:1:5: float "1e400" is out of range"#),
            ("a = plant1", .syntax, #"erpmes.toml:1:5: invalid value "plant1" (strings must be quoted)"#),
            ("a = True", .syntax, #"erpmes.toml:1:5: invalid value "True" (strings must be quoted)"#),
            ("a = 1979-13-01", .invalidValue, #"erpmes.toml:1:5: date-time "1979-13-01" is out of range"#),
            ("a = 1979-02-29", .invalidValue, #"erpmes.toml:1:5: date-time "1979-02-29" is out of range"#),
            (
                "a = 1979-05-27T24:00:00", .invalidValue,
                #"erpmes.toml:1:5: date-time "1979-05-27T24:00:00" is out of range"#
            ),
            ("a = 07:32", .syntax, #"erpmes.toml:1:5: invalid date-time "07:32""#),
            ("a = 07:32:00Z", .syntax, #"erpmes.toml:1:5: invalid date-time "07:32:00Z""#),
            (
                "a = 1979-05-27T07:32:00+7:00", .syntax,
                #"erpmes.toml:1:5: invalid date-time "1979-05-27T07:32:00+7:00""#
            ),
        ]
    )
    func errors(text: String, code: ConfigError.Code, description: String) throws {
        let error = try #require(throws: ConfigError.self) { try self.parse(text) }
        #expect(error.code == code)
        #expect(error.description == description)
    }

    @Test("a duplicate key's error carries the key path and location as fields")
    func errorFields() throws {
        let error = try #require(throws: ConfigError.self) {
            try TOMLParser.parse("[links.plant1]\nerp = 1\nerp = 2")
        }
        #expect(
            error
                == ConfigError(
                    code: .duplicateKey,
                    line: 3,
                    column: 1,
                    keyPath: "links.plant1.erp",
                    message: #"duplicate key "links.plant1.erp""#
                )
        )
        #expect(error.description == #"3:1: duplicate key "links.plant1.erp""#)
    }

    @Test("key paths quote the parts that are not bare keys")
    func quotedKeyPaths() throws {
        let error = try #require(throws: ConfigError.self) {
            try self.parse("[links.\"plant 1\"]\n\"a\\\"b\" = 1\n'a\"b' = 2")
        }
        #expect(error.keyPath == #"links."plant 1"."a\"b""#)
        #expect(error.description == #"erpmes.toml:3:1: duplicate key "links."plant 1"."a\"b"""#)
    }

    @Test("files are read as UTF-8 and errors name the path")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("erpmes-toml-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.toml").path
        let bad = directory.appendingPathComponent("bad.toml").path
        let latin1 = directory.appendingPathComponent("latin1.toml").path
        try "a = 1\na = 2\n".write(toFile: bad, atomically: true, encoding: .utf8)
        try "name = \"Plant 1\"\n".write(toFile: good, atomically: true, encoding: .utf8)
        try Data([0x61, 0x3D, 0x22, 0xE9, 0x22]).write(to: URL(fileURLWithPath: latin1))

        #expect(try TOMLParser.parse(contentsOfFile: good) == ["name": "Plant 1"])
        let duplicate = try #require(throws: ConfigError.self) { try TOMLParser.parse(contentsOfFile: bad) }
        #expect(duplicate.description == "\(bad):2:1: duplicate key \"a\"")
        let missing = try #require(throws: ConfigError.self) {
            try TOMLParser.parse(contentsOfFile: directory.appendingPathComponent("none.toml").path)
        }
        #expect(missing.code == .unreadable)
        #expect(missing.description == "\(directory.path)/none.toml: cannot read the file")
        let notUTF8 = try #require(throws: ConfigError.self) { try TOMLParser.parse(contentsOfFile: latin1) }
        #expect(notUTF8.description == "\(latin1): the file is not valid UTF-8")
    }
}
