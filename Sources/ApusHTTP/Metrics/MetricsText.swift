/// Prometheus's text exposition format (version 0.0.4), written family by family: a family's
/// `# HELP` and `# TYPE` once, then its samples. Label values are escaped as the format asks.
public struct MetricsText: Sendable {
    public private(set) var output = ""
    private var families: Set<String> = []

    public init() {}

    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// Starts family `name` (once; a second call for the same name adds nothing).
    public mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        guard families.insert(name).inserted else { return }
        output += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
    }

    public mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Int) {
        line(name, Array(labels), String(value))
    }

    public mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Double) {
        line(name, Array(labels), Self.number(value))
    }

    /// A sample without labels.
    public mutating func sample(_ name: String, _ value: Int) {
        line(name, [], String(value))
    }

    public mutating func sample(_ name: String, _ value: Double) {
        line(name, [], Self.number(value))
    }

    /// A histogram's `_bucket` (cumulative, `le` last among the labels), `_sum` and `_count`
    /// samples; `counts[i]` is the number of observations in bucket `bounds[i]` alone, the last
    /// one past every bound.
    public mutating func histogram(
        _ name: String, _ labels: KeyValuePairs<String, String>, bounds: [Double], counts: [Int], sum: Double
    ) {
        var cumulative = 0
        for (index, count) in counts.enumerated() {
            cumulative += count
            let le = index < bounds.count ? Self.number(bounds[index]) : "+Inf"
            line(name + "_bucket", Array(labels) + [("le", le)], String(cumulative))
        }
        line(name + "_sum", Array(labels), Self.number(sum))
        line(name + "_count", Array(labels), String(cumulative))
    }

    private mutating func line(_ name: String, _ labels: [(key: String, value: String)], _ value: String) {
        output += name
        if !labels.isEmpty {
            output += "{"
            for (index, label) in labels.enumerated() {
                if index > 0 { output += "," }
                output += label.key + "=\"" + Self.escaped(label.value) + "\""
            }
            output += "}"
        }
        output += " " + value + "\n"
    }

    private static func escaped(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") })
        else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    private static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
