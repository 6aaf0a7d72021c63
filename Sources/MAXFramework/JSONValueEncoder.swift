/// Encodes an `Encodable` value straight to a `JSONValue`, so a plugin's predictions are
/// encoded once, with members in the order the type encodes them (a synthesized conformance:
/// declaration order) and every floating-point value kept as a number with a fraction
/// (`1.0`, never `1`, which a Python client would read as an int). Non-finite floats become null.
public struct JSONValueEncoder {
    public init() {}

    public func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
        if let direct = value as? JSONValueConvertible { return direct.jsonValue }
        let root = EncodingNode()
        try value.encode(to: NodeEncoder(node: root, codingPath: []))
        return root.value ?? .object([])
    }
}

/// A value that builds its own `JSONValue`, which `JSONValueEncoder` then takes as it is: for
/// predictions answered on every request, where walking `Encodable`'s containers costs more
/// than the model's own post-processing. It must give what encoding would (the same members,
/// in the same order).
public protocol JSONValueConvertible {
    var jsonValue: JSONValue { get }
}

/// A value under construction: containers fill it in as the encoder walks the value.
private final class EncodingNode {
    enum Content {
        case empty
        case single(JSONValue)
        case object([(key: String, node: EncodingNode)])
        case array([EncodingNode])
    }

    var content = Content.empty

    var value: JSONValue? {
        switch content {
        case .empty: return nil
        case .single(let value): return value
        case .object(let members): return .object(members.map { (key: $0.key, value: $0.node.value ?? .null) })
        case .array(let items): return .array(items.map { $0.value ?? .null })
        }
    }

    /// The member named `key`, created (or replaced in place, keeping its position) as needed.
    func member(_ key: String) -> EncodingNode {
        var members: [(key: String, node: EncodingNode)] = []
        if case .object(let existing) = content { members = existing }
        let node = EncodingNode()
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].node = node
        } else {
            members.append((key: key, node: node))
        }
        content = .object(members)
        return node
    }

    func becomeObject() {
        if case .object = content { return }
        content = .object([])
    }

    func appendItem() -> EncodingNode {
        var items: [EncodingNode] = []
        if case .array(let existing) = content { items = existing }
        let node = EncodingNode()
        items.append(node)
        content = .array(items)
        return node
    }

    func becomeArray() {
        if case .array = content { return }
        content = .array([])
    }

    var count: Int {
        if case .array(let items) = content { return items.count }
        return 0
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    let stringValue: String
    init(_ index: Int) { intValue = index; stringValue = "Index \(index)" }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.init(intValue) }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        node.becomeArray()
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

/// Scalars as `JSONValue`s; anything else is encoded through a nested encoder.
private enum Scalars {
    static func value<T: Encodable>(of value: T) -> JSONValue? {
        switch value {
        case let number as Double: return .number(number)
        case let number as Float: return .number(Double(number))
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(number)
        case let number as Int8: return .int(Int(number))
        case let number as Int16: return .int(Int(number))
        case let number as Int32: return .int(Int(number))
        case let number as Int64: return .int(Int(number))
        case let number as UInt8: return .int(Int(number))
        case let number as UInt16: return .int(Int(number))
        case let number as UInt32: return .int(Int(number))
        case let number as UInt: return number <= UInt(Int.max) ? .int(Int(number)) : .number(Double(number))
        case let number as UInt64: return number <= UInt64(Int.max) ? .int(Int(number)) : .number(Double(number))
        case let json as JSONValue: return json
        default: return nil
        }
    }

    static func encode<T: Encodable>(_ value: T, into node: EncodingNode, codingPath: [CodingKey]) throws {
        if let scalar = Scalars.value(of: value) {
            node.content = .single(scalar)
        } else {
            try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
        }
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try Scalars.encode(value, into: node.member(key.stringValue), codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                       forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = node.member(key.stringValue)
        child.becomeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let child = node.member(key.stringValue)
        child.becomeArray()
        return UnkeyedNodeContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> Encoder {
        NodeEncoder(node: node.member("super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [CodingKey]
    var count: Int { node.count }

    mutating func encodeNil() throws { node.appendItem().content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let key = IndexKey(count)
        try Scalars.encode(value, into: node.appendItem(), codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let key = IndexKey(count)
        let child = node.appendItem()
        child.becomeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let key = IndexKey(count)
        let child = node.appendItem()
        child.becomeArray()
        return UnkeyedNodeContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> Encoder {
        let key = IndexKey(count)
        return NodeEncoder(node: node.appendItem(), codingPath: codingPath + [key])
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [CodingKey]

    mutating func encodeNil() throws { node.content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try Scalars.encode(value, into: node, codingPath: codingPath)
    }
}

extension JSONValue: Encodable {
    /// A `JSONValue` inside an `Encodable` type encodes as itself (member order kept).
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .int(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .number(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let members):
            var container = encoder.container(keyedBy: MemberKey.self)
            for member in members { try container.encode(member.value, forKey: MemberKey(member.key)) }
        }
    }

    private struct MemberKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}
