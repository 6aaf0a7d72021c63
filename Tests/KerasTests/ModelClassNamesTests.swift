import Foundation
import HDF5
import TestSupport
import XCTest
@testable import Keras

/// Class names kept in a model file: written by KerasModelFile, read back, absent from files
/// Keras wrote, refused when malformed.
final class ModelClassNamesTests: XCTestCase {
    func testWrittenReadAndAbsentFromKerasFiles() throws {
        let fixture = try KerasFixture("k2_conv_stack")
        let bytes = [UInt8](try Data(contentsOf: fixture.url("k2_conv_stack.h5")))
        XCTAssertNil(try ModelClassNames.read(bytes: bytes), "tf-keras writes no class names")
        var file = try KerasModelFile.read(bytes: bytes)
        XCTAssertNil(file.classNames)
        file.classNames = ["0", "1", "7"]
        let written = try file.encode()
        XCTAssertEqual(try ModelClassNames.read(bytes: written), ["0", "1", "7"])
        XCTAssertEqual(try KerasModelFile.read(bytes: written).classNames, ["0", "1", "7"])
        XCTAssertEqual(try HDF5File(bytes: written).root.attribute("class_names")?.string, #"["0","1","7"]"#)
        XCTAssertNoThrow(try KerasModel.load(bytes: written), "the engine ignores the attribute")
    }

    func testMalformedListsAreRefused() {
        XCTAssertThrowsError(try ModelClassNames.parse("[1, 2]")) { XCTAssertTrue("\($0)".contains("not a JSON list of strings"), "\($0)") }
        XCTAssertThrowsError(try ModelClassNames.parse("[]")) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        XCTAssertThrowsError(try ModelClassNames.parse(#"["a", "a"]"#)) { XCTAssertTrue("\($0)".contains("twice"), "\($0)") }
        XCTAssertEqual(try ModelClassNames.parse(ModelClassNames.encode(["zéro", "\"1\""])), ["zéro", "\"1\""])
    }
}
