/// The framework's version, as `max-server --version` prints it and servers that report a
/// version (the HTTP `Server` header, KServe's `GET /v2`) give it.
public enum MAXVersion {
    public static let current = "0.2.0"
}
