import Testing

@testable import ErpmesMigrate

@Suite struct ChecksumTests {
    private func hex(_ bytes: [UInt8]) -> String {
        Checksum(of: bytes).hex
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func knownVectors() {
        #expect(self.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(self.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            self.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
    }

    @Test("SHA-256 of one million 'a' and of 1,000 digits, crossing many blocks")
    func longMessages() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(self.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // printf '0123456789%.0s' {1..100} | sha256sum
        let digits = Array(String(repeating: "0123456789", count: 100).utf8)
        #expect(self.hex(digits) == "ab6c5f3237f551d208fc2ca5225a4cca20b3fd638794a804f0ed5549d5041734")
    }

    @Test("SHA-256 is right at the padding boundaries of 55, 56, 63 and 64 bytes")
    func paddingBoundaries() {
        let expected = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
        ]
        for (count, digest) in expected {
            #expect(self.hex([UInt8](repeating: UInt8(ascii: "a"), count: count)) == digest, "\(count) bytes")
        }
    }

    @Test("the checksum carries its algorithm: sha256:<hex>")
    func prefix() {
        // printf 'SELECT 1;\nSELECT 2;\n' | sha256sum
        let checksum = Checksum(of: "SELECT 1;\nSELECT 2;\n")
        #expect(checksum.description == "sha256:82efb67f3010c6eb7ead02e4f6d9550633dbc1407f99aa487468e7b2567aebbc")
        #expect(checksum.algorithm == "sha256")
    }

    @Test("CRLF, lone CR, BOM and BOM+CRLF copies have the checksum of the LF original")
    func normalisation() {
        let original = Checksum(of: "SELECT 1;\nSELECT 2;\n")
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(Checksum(of: "SELECT 1;\r\nSELECT 2;\r\n") == original)
        #expect(Checksum(of: "SELECT 1;\rSELECT 2;\r") == original)
        #expect(Checksum(of: bom + Array("SELECT 1;\nSELECT 2;\n".utf8)) == original)
        #expect(Checksum(of: bom + Array("SELECT 1;\r\nSELECT 2;\r\n".utf8)) == original)
        #expect(Checksum.normalized(Array("a\r\r\nb\r".utf8)) == Array("a\n\nb\n".utf8))
    }

    @Test("any other change, including whitespace in a line or a BOM not at the start, changes the checksum")
    func sensitivity() {
        let original = Checksum(of: "SELECT 1;\nSELECT 2;\n")
        #expect(Checksum(of: "SELECT 1;\nSELECT 2;") != original)
        #expect(Checksum(of: "SELECT 1; \nSELECT 2;\n") != original)
        #expect(Checksum(of: "SELECT 1;\n\u{FEFF}SELECT 2;\n") != original)
    }

    @Test("stored checksums parse back; malformed ones do not")
    func parsing() {
        let checksum = Checksum(of: "x")
        #expect(Checksum(parsing: checksum.description) == checksum)
        #expect(Checksum(parsing: "sha256:" + checksum.hex.uppercased()) == checksum)
        #expect(Checksum(parsing: checksum.hex) == nil)
        #expect(Checksum(parsing: "sha256:abc") == nil)
        #expect(Checksum(parsing: "sha256:" + String(repeating: "g", count: 64)) == nil)
        #expect(Checksum(parsing: "crc32:1a2b3c4d")?.algorithm == "crc32")
    }
}
