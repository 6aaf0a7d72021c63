import Foundation

/// Where tests find files: the package's own fixtures, and the shared acceptance corpus that
/// lives beside the checkout (`../shared`), which a fresh clone without it must skip cleanly.
public enum TestPaths {
    /// The package root, derived from this file's location (Tests/TestSupport/TestPaths.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/<target>/Fixtures/<name>`.
    public static func fixture(_ name: String, target: String) -> URL {
        packageRoot.appendingPathComponent("Tests").appendingPathComponent(target)
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// `../shared/<relative>` when it exists; nil otherwise (callers skip with `sharedMissingMessage`).
    public static func shared(_ relative: String) -> URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
            .appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    public static func sharedMissingMessage(_ relative: String) -> String {
        "../shared/\(relative) is absent beside the checkout; conformance test skipped"
    }
}
