import Testing

@testable import ErpmesMigrate

@Suite struct MigrationVersionTests {
    private func version(_ text: String) throws -> MigrationVersion {
        try #require(MigrationVersion(text))
    }

    @Test("versions compare numerically part by part")
    func ordering() throws {
        let texts = ["10", "1.10", "2", "1.9", "1", "1_2", "1.2.1", "20240131"]
        let sorted = try texts.map(self.version).sorted().map(\.rawValue)
        #expect(sorted == ["1", "1_2", "1.2.1", "1.9", "1.10", "2", "10", "20240131"])
    }

    @Test("leading zeros and trailing zero parts do not make a different version")
    func equality() throws {
        #expect(try self.version("1") == self.version("1.0"))
        #expect(try self.version("1") == self.version("01"))
        #expect(try self.version("2_1") == self.version("2.1.0"))
        #expect(try self.version("1.0.1") != self.version("1.1"))
        #expect(try Set([self.version("1"), self.version("1.0"), self.version("1_0")]).count == 1)
    }

    @Test("versions longer than 64 bits still compare")
    func hugeVersions() throws {
        #expect(try self.version("99999999999999999999") < self.version("100000000000000000000"))
    }

    @Test("an underscore-separated version displays with dots")
    func display() throws {
        #expect(try self.version("2_1").description == "2.1")
        #expect(try self.version("2_1").rawValue == "2_1")
    }

    @Test(
        "anything but digits separated by single dots or underscores is not a version",
        arguments: [
            "", "a", "1.", ".1", "1..2", "1__2", "1-2", "1.x", "١",
        ]
    )
    func invalid(text: String) {
        #expect(MigrationVersion(text) == nil)
    }
}
